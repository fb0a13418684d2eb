"""The public disclosure pages (公开): published figures and reports, without sign-in."""
