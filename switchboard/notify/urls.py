"""Routes of the notify app: the chat slash-command endpoint and the chat-link page."""

from django.urls import path

from switchboard.notify.chat import views

urlpatterns = [
    path("chat/commands", views.chat_command, name="chat-commands"),
    path("chat/link/<str:token>/", views.chat_link, name="chat-link"),
]
