"""URLs: the admin, the film upload widget's endpoints, the health checks and, in development, the static
and `local` media files."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from file_storage import views as health
from movies import film_uploads

admin.site.site_header = _("Online cinema")
admin.site.site_title = _("Online cinema: content admin")
admin.site.index_title = _("Catalogue and files")

urlpatterns = [
    # Before the admin's own URLs, whose catch-all would answer these with its 404 page.
    path("admin/film-uploads/", include(film_uploads)),
    path("admin/", admin.site.urls),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
]

if settings.DEBUG:  # nginx serves these outside development
    urlpatterns += staticfiles_urlpatterns() + static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
