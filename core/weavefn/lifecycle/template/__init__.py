"""The pod-template rollout: a changed pod template (same version) rolled one pod at a time."""
