"""LTI 1.3 claim names and the limits the tool puts on what it stores."""

from __future__ import annotations

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
LIS = LTI + "lis"
CUSTOM = LTI + "custom"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
SUPPORTED_MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)

# Longest value accepted for each stored claim.  The LTI specification caps `sub`
# at 255 characters; the rest follow the columns they are stored in.
MAX_LENGTHS: dict[tuple[str, ...], int] = {
    ("sub",): 255,
    ("name",): 255,
    ("given_name",): 255,
    ("family_name",): 255,
    ("email",): 320,
    (DEPLOYMENT_ID,): 255,
    (LIS, "person_sourcedid"): 255,
    (CONTEXT, "id"): 255,
    (CONTEXT, "label"): 255,
    (CONTEXT, "title"): 1024,
    (RESOURCE_LINK, "id"): 255,
    (RESOURCE_LINK, "title"): 1024,
    (RESOURCE_LINK, "description"): 4096,
    (LAUNCH_PRESENTATION, "locale"): 35,
    (LAUNCH_PRESENTATION, "return_url"): 2048,
}
MAX_ROLES = 50
MAX_CUSTOM_ENTRIES = 100

# LIS role vocabularies: context roles first, as they decide what someone may do in a course.
ROLE_PREFIXES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#",
)


def claim(body: dict, path: tuple[str, ...]) -> object:
    value: object = body
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def course_roles(roles: list[str]) -> set[str]:
    """Short role names (Learner, Instructor, Administrator, ...) from the full URIs."""
    names = set()
    for role in roles:
        for prefix in ROLE_PREFIXES:
            if role.startswith(prefix):
                names.add(role.removeprefix(prefix).split("#")[-1])
                break
        else:
            names.add(role.rsplit("#", 1)[-1].rsplit("/", 1)[-1])
    return names


def primary_role(roles: list[str]) -> str:
    """The one role a page shows: administrator over teacher over learner."""
    names = course_roles(roles)
    if "Administrator" in names or "SysAdmin" in names:
        return "administrator"
    if names & {"Instructor", "ContentDeveloper", "TeachingAssistant", "Mentor"}:
        return "teacher"
    if "Learner" in names or "Student" in names:
        return "learner"
    return "other"
