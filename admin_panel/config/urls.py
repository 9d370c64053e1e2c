"""URLs: the admin, its health checks and, in development, the static and `local` media files."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path
from django.utils.translation import gettext_lazy as _

from file_storage import views as health

admin.site.site_header = _("Online cinema")
admin.site.site_title = _("Online cinema: content admin")
admin.site.index_title = _("Catalogue and files")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
]

if settings.DEBUG:  # nginx serves these outside development
    urlpatterns += staticfiles_urlpatterns() + static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
