"""``path("auth/", include("shared_session.django.urls"))``: sign-in and back-channel logout."""

from django.urls import path

from . import views

app_name = "shared_session"
urlpatterns = [
    path("sign-in", views.sign_in, name="sign-in"),
    path("backchannel-logout", views.backchannel_logout, name="backchannel-logout"),
]
