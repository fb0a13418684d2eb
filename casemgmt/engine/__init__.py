"""Engine facade over SpiffWorkflow: parser, spec cache, sandbox, serializer."""
