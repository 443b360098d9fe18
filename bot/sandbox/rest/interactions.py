"""Interaction callback and the interaction webhook routes (@original, followups)."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox import errors, serialize
from bot.sandbox.rest.base import (
    core_of,
    interactions_of,
    json_response,
    no_content,
    query_bool,
    read_object,
    snowflake,
)

WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"


async def callback(request: web.Request) -> web.Response:
    body, uploads = await read_object(request)
    result = interactions_of(request).callback(
        snowflake(request, "interaction_id"), request.match_info["interaction_token"], body, uploads
    )
    return json_response(result) if query_bool(request, "with_response") else no_content()


async def followup(request: web.Request) -> web.Response:
    body, uploads = await read_object(request)
    msg = interactions_of(request).followup(
        snowflake(request, "webhook_id"), request.match_info["webhook_token"], body, uploads
    )
    return json_response(serialize.message(core_of(request).state, msg))


async def get_original(request: web.Request) -> web.Response:
    msg = interactions_of(request).original(
        snowflake(request, "webhook_id"), request.match_info["webhook_token"]
    )
    return json_response(serialize.message(core_of(request).state, msg))


async def edit_original(request: web.Request) -> web.Response:
    body, uploads = await read_object(request)
    msg = interactions_of(request).edit(
        snowflake(request, "webhook_id"), request.match_info["webhook_token"], None, body, uploads
    )
    return json_response(serialize.message(core_of(request).state, msg))


async def delete_original(request: web.Request) -> web.Response:
    interactions_of(request).delete(
        snowflake(request, "webhook_id"), request.match_info["webhook_token"], None
    )
    return no_content()


def _message_id(request: web.Request) -> int:
    if request.match_info["message_id"] == "@original":
        raise errors.unknown_message()
    return snowflake(request, "message_id")


async def get_followup(request: web.Request) -> web.Response:
    msg = interactions_of(request).get(
        snowflake(request, "webhook_id"), request.match_info["webhook_token"], _message_id(request)
    )
    return json_response(serialize.message(core_of(request).state, msg))


async def edit_followup(request: web.Request) -> web.Response:
    body, uploads = await read_object(request)
    msg = interactions_of(request).edit(
        snowflake(request, "webhook_id"),
        request.match_info["webhook_token"],
        _message_id(request),
        body,
        uploads,
    )
    return json_response(serialize.message(core_of(request).state, msg))


async def delete_followup(request: web.Request) -> web.Response:
    interactions_of(request).delete(
        snowflake(request, "webhook_id"), request.match_info["webhook_token"], _message_id(request)
    )
    return no_content()


def route_table() -> list[web.RouteDef]:
    """The routes in registration order (specific paths such as @me/@original before {ids})."""
    table = [
        web.post("/interactions/{interaction_id}/{interaction_token}/callback", callback),
        web.post(WEBHOOK, followup),
        web.get(WEBHOOK + "/messages/@original", get_original),
        web.patch(WEBHOOK + "/messages/@original", edit_original),
        web.delete(WEBHOOK + "/messages/@original", delete_original),
        web.get(WEBHOOK + "/messages/{message_id}", get_followup),
        web.patch(WEBHOOK + "/messages/{message_id}", edit_followup),
        web.delete(WEBHOOK + "/messages/{message_id}", delete_followup),
    ]
    return table
