"""The evaluator's pages: rate on a phone by a window's QR code or a record's link, then follow the case."""
