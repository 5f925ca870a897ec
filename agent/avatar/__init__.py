"""The talking avatar: FACS expressions + visemes drawn with skia, streamed to MP4 (see docs/avatar.md)."""
from .animator import TIMELINE_FORMAT, TRACKS, Animator, FaceTimeline
from .data import AUS, EMOTIONS, MOUTH, AvatarError
from .expression import action_units, listening_expression
from .face import FacePainter, state_from
from .profile import Avatar, FaceLook, PersonaProfile, list_avatars, load_look
from .renderer import AvatarRenderer, ChunkRender, TurnRender, timeline_document, write_timeline

__all__ = ["AUS", "EMOTIONS", "MOUTH", "TIMELINE_FORMAT", "TRACKS", "Animator", "Avatar", "AvatarError",
           "AvatarRenderer", "ChunkRender", "FaceLook", "FacePainter", "FaceTimeline", "PersonaProfile", "TurnRender",
           "action_units", "list_avatars", "listening_expression", "load_look", "state_from", "timeline_document",
           "write_timeline"]
