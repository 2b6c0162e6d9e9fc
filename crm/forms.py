"""Form pieces shared by the admin and the reps' pages."""

from django import forms

from .models import InteractionOutcome


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
