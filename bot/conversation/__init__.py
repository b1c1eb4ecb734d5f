"""The path every resident message takes: channel -> dispatcher -> Rasa -> replies."""
