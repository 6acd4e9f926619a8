"""/api/customers/ (list) and /api/customers/<customer_id>/ (detail), from a DefaultRouter."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from customers.views import CustomerViewSet

router = DefaultRouter()  # trailing slashes, as DRF projects have them
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = [path("api/", include(router.urls))]
