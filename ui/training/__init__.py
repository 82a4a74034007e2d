"""The "What is training?" lesson: a training-loop playground."""
