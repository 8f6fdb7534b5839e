"""Messages the domain raises that pages show: marked here so ``pybabel extract`` puts them
in the catalogs; the pages translate an error's message by looking it up (``Reader.gettext``).
Keep in step with ``fedi.domain`` (a message missing here is shown in English)."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


DOMAIN_MESSAGES = (
    N_("Username must be 1-30 letters, digits or underscores"),
    N_("Username is reserved"),
    N_("E-mail address is not valid"),
    N_("Password must be at least 8 characters"),
    N_("Display name is longer than 100 characters"),
    N_("Username is already taken"),
    N_("E-mail is already in use"),
    N_("The current password is not right"),
    N_("This invite code is not known here. Check it, or ask whoever invited you for a new one."),
    N_("This invite has expired. Ask your school or ministry for a new invite."),
    N_("This invite has already been used as many times as allowed. Ask for a new invite."),
    N_("Sign-up is closed on this instance."),
    N_("An invite code is needed to join this instance. Ask your school or ministry."),
    N_(
        "Accounts on this instance are made by the ministry. If you received an activation "
        "code, activate your account instead."
    ),
    N_("This username and code do not match. Check both, as printed on your sheet."),
    N_(
        "This activation code has expired. Ask your school or ministry for a new one "
        "(they can issue it with: jamii roster reissue USERNAME)."
    ),
    N_(
        "This activation code has already been used. Log in with the password you chose, "
        "or ask your school or ministry for a new code."
    ),
    N_("Choose one of the languages offered"),
    N_("Choose among the languages offered"),
    N_("Uses must be between 1 and 100000"),
    N_("Expiry must be between 1 and 365 days"),
    N_("This form has expired or did not come from this site. Go back and try again."),
    N_("Record not found"),
    N_("No teacher by that name here"),
    N_("Text can't be blank"),
    # Communities (fedi.domain.communities, community_posts, community_directory).
    N_("Community not found"),
    N_("Enter a handle such as @maths@ke.example or a URL"),
    N_("This instance does not federate with that server"),
    N_("That is not a community"),
    N_("You are banned from this community"),
    N_("Only members may post in this community"),
    N_("Only moderators may post in this community"),
    N_("Name must be 1-30 letters, digits or underscores"),
    N_("Name is reserved"),
    N_("Name is already taken"),
    N_("Description is longer than 5000 characters"),
    N_("Subject is longer than 100 characters"),
    N_("Title is longer than 300 characters"),
    N_("At most 20 grade_levels"),
    N_("At most 20 rules"),
    N_("Each of grade_levels must be 1-100 characters"),
    N_("Each of rules must be 1-500 characters"),
    N_("This report is already closed"),
    N_("Comment is longer than 1000 characters"),
    N_("This sign-up is no longer waiting for approval."),
    N_("This value is not allowed here."),
    N_("Languages must be among en, fr, pt, sw"),
    N_("Follow request not found"),
    N_("Only the community's moderators may do this"),
    # Community moderation (fedi.domain.community_rank, community_moderation,
    # community_threads, community_modlog, community_posts).
    N_("Only a moderator appointed earlier, or an admin, may act on a moderator"),
    N_("A community keeps at least one moderator"),
    N_("A community cannot moderate a community"),
    N_("Not a moderator of this community"),
    N_("A community cannot ban itself"),
    N_("A moderator cannot ban themselves"),
    N_("Post not found in this community"),
    N_("A removed post cannot be pinned"),
    N_("This thread is locked: it takes no new replies"),
    N_("Only the community's moderators may read its moderation log"),
    N_("This page is for the instance's administrators."),
)
