"""Browser-side assets of the Gradio demo (served from local files; no CDN)."""
