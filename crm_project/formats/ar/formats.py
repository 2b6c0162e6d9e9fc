"""Arabic: Western digits, "," between thousands and "." before decimals, day before month.

Django's own Arabic formats write 1234.5 as "1234,5" (a comma for decimals, a dot for thousands,
and no grouping at all). Gulf business software written with Western digits (banks, ERPs,
invoices in SAR or AED) groups and separates the other way round, "1,234.50", and so do:
- the dashboard's charts, which format with the browser's "ar-u-nu-latn" locale (Intl, CLDR);
- the number inputs, which take and show "12345.50" whatever the language;
- the English side of the CRM, so an amount reads the same in both languages.
A comma for decimals would make "1,250" mean 1.25 in Arabic and 1250 in English.
"""

# The months come from Django's Arabic translation: "5 مارس 2026".
DATE_FORMAT = "j F Y"
# Arabic separates a date and its time with the Arabic comma.
DATETIME_FORMAT = "j F Y، H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
# Day first, as in the Gulf; the digits and slashes form one left-to-right run inside Arabic
# text, so it reads "05/03/2026" like the English pages (no bidi marks needed).
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

# What a typed date may look like (the admin's date boxes): ISO first, as date inputs send it
# and the admin shows it, then day before month, as the pages show it. Never month first.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
