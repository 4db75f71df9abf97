"""The framework, the approval policy and the model's prompts, installed as package data."""
