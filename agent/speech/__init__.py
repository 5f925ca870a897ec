"""Speak: speech recognition in, emotional speech out, streamed sentence by sentence."""
