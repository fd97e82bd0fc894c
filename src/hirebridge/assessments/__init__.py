"""Assessment invitations: the link a candidate opens, the questionnaire, the scores."""
