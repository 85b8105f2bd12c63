"""Editing the school's letters home: subject and body per kind and language, with the placeholders listed."""

from __future__ import annotations

import streamlit as st

from data import letter_templates
from data.readers import norm
from ui import letters
from ui.interventions_panel import who
from ui.letters import wording


def editor(con, school_id: str) -> None:
    email, role = who()
    c1, c2 = st.columns(2)
    kind = c1.selectbox("Letter", list(wording.TITLES), format_func=wording.TITLES.get, key="tpl_kind")
    known = letter_templates.languages(con, school_id)
    families = [lang for lang, _ in letter_templates.family_languages(con, school_id) if lang not in known]
    language = c2.selectbox("Language", [*known, *families, "Another language..."], key="tpl_language")
    if language == "Another language...":
        language = c2.text_input("Language name (as the pupils file gives it)", key="tpl_language_new").strip()
        if not language:
            return
        language = letter_templates.language_name(language)  # 'POL' or 'polish': Polish
    current = letters.template_for(con, school_id, kind, language)
    if current["language"] != language:
        st.caption(f"No {language} wording saved yet: starting from the {current['language']} one.")
    english = norm(language) == norm(letter_templates.DEFAULT_LANGUAGE)
    with st.form(f"tpl_{kind}_{language}"):
        subject = st.text_input("Subject", value=current["subject"])
        body = st.text_area("Body (blank line between paragraphs)", value=current["body"], height=320)
        c1, c2, c3 = st.columns(3)
        salutation = c1.text_input("Greeting", value=current["salutation"])
        signoff = c2.text_input("Closing", value=current["signoff"])
        signature = c3.text_input("Signed", value=current["signature"])
        saved = st.form_submit_button("Save wording", type="primary")
    if saved:
        try:
            wording.check_template(subject, body, salutation, signoff, signature)
            letter_templates.save(
                con,
                email,
                school_id,
                kind,
                subject,
                body,
                language=language,
                role=role,
                salutation=salutation,
                signoff=signoff,
                signature=signature,
            )
        except (wording.TemplateError, ValueError) as exc:
            st.error(str(exc))
        else:
            st.success("Saved. New letters use this wording.")
            words = wording.english_placeholders(subject, body, salutation, signoff, signature)
            if words and not english:
                st.warning(
                    "These placeholders give English words: "
                    + ", ".join("{" + w + "}" for w in words)
                    + ". In a letter in another language, give the figures instead ({attendance}, "
                    "{days_missed_number}, {can_miss_days}, {best_attendance}, {projected_attendance}, "
                    "{days_left_number}); dates are written 20/11/2025."
                )
    label = "Go back to the built-in wording" if english else f"Remove the {language} wording (letters go in English)"
    if st.button(label, key="tpl_reset"):
        letter_templates.reset(con, email, school_id, kind, language)
        st.rerun()
    spoken = letter_templates.family_languages(con, school_id)
    if spoken:
        st.caption(
            "Families' languages in the pupils file: "
            + ", ".join(f"{lang} ({n})" for lang, n in spoken[:12])
            + ". A letter goes in the family's language where this letter is kept in it, else in English."
        )
    st.caption("Placeholders: " + "; ".join(f"{{{k}}} {v}" for k, v in wording.PLACEHOLDERS.items()))
