"""The insights pages (namespace "insights"): each part keeps its routes in its own module."""

from care365.insights.exports import urls as exports_urls
from care365.insights.reports import urls as reports_urls

app_name = "insights"
urlpatterns = [
    *exports_urls.urlpatterns,
    *reports_urls.urlpatterns,
]
