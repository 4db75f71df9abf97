"""AI assist (optional): a model reads free text and proposes; a person always decides."""
