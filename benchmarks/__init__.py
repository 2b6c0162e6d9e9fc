"""The benchmark behind ``manage.py bench_crm``: every page a rep or a manager opens, timed.

Pages are requested in process through Django's test client, against whatever database the
settings point to, logged in as a sales rep (the admin changelists as a staff manager). The load
test serves the app with gunicorn on 127.0.0.1 and drives it from threads here.

``pages``   what to request, read from the views: lists paged, searched, filtered and sorted
``timing``  each page timed in process, its queries counted; the machine the numbers come from
``load``    the load test under gunicorn
``report``  the text table, the JSON document and the progress lines
``runner``  one run: the users checked, the pages planned and timed, then the load test
"""
