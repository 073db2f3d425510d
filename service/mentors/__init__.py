"""The mentor's side: roles and invites, pairing, consent, the mentor's view, digests and alerts."""
