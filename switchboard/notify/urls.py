"""Routes of the notify app: the chat slash-command endpoint."""

from django.urls import path

from switchboard.notify import views

urlpatterns = [
    path("chat/commands", views.chat_command, name="chat-commands"),
]
