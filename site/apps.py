from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class SiteConfig(AppConfig):
    name = "site"
    label = "site"
    verbose_name = "quick_publisher"


class QuickPublisherAdminConfig(AdminConfig):
    # Our admin site adds the queue health page to Django's admin.
    default_site = "site.admin_site.QuickPublisherAdminSite"
