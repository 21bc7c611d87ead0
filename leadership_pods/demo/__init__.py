"""The demo LMS of the embedded default: launch as a resident, faculty or administrator
without a real LMS. It signs real id_tokens and its launches go through the same
validation as Canvas's and Moodle's. It exists only in the demo configuration.
"""
