"""The project's URLs plus the floor's admin (``benchmarks.floor``): ROOT_URLCONF while timing."""

from crm_project.urls import urlpatterns as project_urlpatterns

from .floor import floor_urlpatterns

urlpatterns = floor_urlpatterns(project_urlpatterns)
