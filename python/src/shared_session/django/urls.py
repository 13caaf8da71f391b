"""``path("auth/", include("shared_session.django.urls"))``: sign-in, the token confirmation callback and back-channel logout."""

from django.urls import path

from . import views

app_name = "shared_session"
urlpatterns = [
    path("sign-in", views.sign_in, name="sign-in"),
    path("confirm", views.confirm, name="confirm"),
    path("backchannel-logout", views.backchannel_logout, name="backchannel-logout"),
]
