"""Form pieces shared by the admin and the reps' pages."""

from django import forms

from .models import InteractionOutcome

# A lead's fields that people fill in; status "converted" and its links come from conversion only.
LEAD_FIELDS = (
    "name",
    "company",
    "title",
    "email",
    "phone",
    "status",
    "lost_reason",
    "rating",
    "source",
    "expected_revenue",
    "campaign",
    "owner",
    "notes",
)


class DatalistTextInput(forms.TextInput):
    """A free-text input that offers common values to pick from (an HTML datalist)."""

    template_name = "crm/widgets/datalist_text.html"

    def __init__(self, options, attrs=None):
        super().__init__(attrs)
        self.options = options

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        list_id = f"{context['widget']['attrs'].get('id') or name}-options"
        context["widget"]["attrs"]["list"] = list_id
        context["widget"]["list_id"] = list_id
        context["widget"]["options"] = [str(label) for label in self.options]
        return context


def outcome_input() -> DatalistTextInput:
    """The interaction outcome: free text, offering the common outcomes in the user's language."""
    return DatalistTextInput(InteractionOutcome.labels)
