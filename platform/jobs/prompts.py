"""Prompts, written in the document's language (the model answers in the language it is addressed in)."""

from __future__ import annotations

from typing import Any

from jobs.params import SUPPORTED_LANGUAGES

_SUMMARY: dict[str, dict[str, str]] = {
    "en": {
        "map": "You summarise one part of a longer document. Keep every key fact, figure, decision and obligation. "
        "After each point, cite where it comes from as (p. N) or (§ section title) using the markers in the "
        "text. Do not invent anything. Answer in English.",
        "reduce": "You merge partial summaries of consecutive parts of one document into one summary. Keep the "
        "citations (p. N) / (§ …) exactly as given; drop only repetition. Answer in English.",
        "brief": "Length: a short summary of about 5 sentences.",
        "standard": "Length: a summary of about 3 paragraphs.",
        "detailed": "Length: a detailed summary covering every section.",
        "prose": "Write flowing prose.",
        "bullets": "Write bullet points, one idea per bullet, starting with '- '.",
        "plain": "Use plain language: short sentences, everyday words, explain technical terms.",
    },
    "fr": {
        "map": "Vous résumez une partie d'un document plus long. Conservez chaque fait, chiffre, décision et "
        "obligation. Après chaque point, indiquez sa source sous la forme (p. N) ou (§ titre de section) "
        "en utilisant les repères du texte. N'inventez rien. Répondez en français.",
        "reduce": "Vous fusionnez des résumés partiels de parties successives d'un même document en un seul "
        "résumé. Conservez les références (p. N) / (§ …) telles quelles ; supprimez seulement les "
        "répétitions. Répondez en français.",
        "brief": "Longueur : un résumé court d'environ 5 phrases.",
        "standard": "Longueur : un résumé d'environ 3 paragraphes.",
        "detailed": "Longueur : un résumé détaillé couvrant chaque section.",
        "prose": "Rédigez en prose continue.",
        "bullets": "Rédigez sous forme de puces, une idée par puce, commençant par '- '.",
        "plain": "Utilisez un langage clair : phrases courtes, mots courants, termes techniques expliqués.",
    },
    "de": {
        "map": "Sie fassen einen Teil eines längeren Dokuments zusammen. Behalten Sie alle wichtigen Fakten, Zahlen, "
        "Entscheidungen und Pflichten. Geben Sie nach jedem Punkt die Quelle als (S. N) oder (§ Abschnitt) "
        "anhand der Markierungen im Text an. Erfinden Sie nichts. Antworten Sie auf Deutsch.",
        "reduce": "Sie führen Teilzusammenfassungen aufeinanderfolgender Teile eines Dokuments zu einer "
        "Zusammenfassung zusammen. Behalten Sie die Quellenangaben unverändert; entfernen Sie nur "
        "Wiederholungen. Antworten Sie auf Deutsch.",
        "brief": "Länge: eine kurze Zusammenfassung von etwa 5 Sätzen.",
        "standard": "Länge: eine Zusammenfassung von etwa 3 Absätzen.",
        "detailed": "Länge: eine ausführliche Zusammenfassung, die jeden Abschnitt abdeckt.",
        "prose": "Schreiben Sie Fließtext.",
        "bullets": "Schreiben Sie Aufzählungspunkte, ein Gedanke pro Punkt, beginnend mit '- '.",
        "plain": "Verwenden Sie leichte Sprache: kurze Sätze, einfache Wörter, Fachbegriffe erklärt.",
    },
    "es": {
        "map": "Resume una parte de un documento más largo. Conserva cada hecho, cifra, decisión y obligación. "
        "Después de cada punto, cita su origen como (p. N) o (§ título de sección) usando las marcas del "
        "texto. No inventes nada. Responde en español.",
        "reduce": "Fusiona resúmenes parciales de partes consecutivas de un mismo documento en un único resumen. "
        "Conserva las citas tal cual; elimina solo las repeticiones. Responde en español.",
        "brief": "Extensión: un resumen breve de unas 5 frases.",
        "standard": "Extensión: un resumen de unos 3 párrafos.",
        "detailed": "Extensión: un resumen detallado que cubra cada sección.",
        "prose": "Escribe en prosa continua.",
        "bullets": "Escribe viñetas, una idea por viñeta, empezando por '- '.",
        "plain": "Usa lenguaje claro: frases cortas, palabras comunes, términos técnicos explicados.",
    },
    "it": {
        "map": "Riassumi una parte di un documento più lungo. Conserva ogni fatto, cifra, decisione e obbligo. "
        "Dopo ogni punto, cita la fonte come (p. N) o (§ titolo della sezione) usando i riferimenti del "
        "testo. Non inventare nulla. Rispondi in italiano.",
        "reduce": "Unisci riassunti parziali di parti consecutive di uno stesso documento in un unico riassunto. "
        "Mantieni le citazioni invariate; elimina solo le ripetizioni. Rispondi in italiano.",
        "brief": "Lunghezza: un breve riassunto di circa 5 frasi.",
        "standard": "Lunghezza: un riassunto di circa 3 paragrafi.",
        "detailed": "Lunghezza: un riassunto dettagliato che copra ogni sezione.",
        "prose": "Scrivi in prosa continua.",
        "bullets": "Scrivi un elenco puntato, un'idea per punto, iniziando con '- '.",
        "plain": "Usa un linguaggio semplice: frasi brevi, parole comuni, termini tecnici spiegati.",
    },
}

_TRANSLATE = (
    "Translate the Markdown below from {source} into {target}. Keep the exact structure: the same headings (#), "
    "list items (-), table rows (|) and paragraphs, in the same order, one output block per input block. "
    "Translate everything; omit nothing; add no comments."
)
_GLOSSARY = "Mandatory terminology (always use these translations):"


def prompt_language(language: str) -> str:
    return language if language in _SUMMARY else "en"


def summary_messages(
    *, language: str, params: dict[str, Any], text: str, stage: str, final: bool
) -> list[dict[str, str]]:
    words = _SUMMARY[prompt_language(language)]
    parts = [words["map" if stage == "map" else "reduce"]]
    if final:
        parts += [words[params.get("length", "standard")], words[params.get("style", "prose")]]
        if params.get("plain_language"):
            parts.append(words["plain"])
    return [{"role": "system", "content": " ".join(parts)}, {"role": "user", "content": text}]


def translate_messages(
    *, source: str, target: str, glossary: list[tuple[str, str]], text: str, insist: bool = False
) -> list[dict[str, str]]:
    system = _TRANSLATE.format(
        source=SUPPORTED_LANGUAGES.get(source, source), target=SUPPORTED_LANGUAGES.get(target, target)
    )
    if glossary:
        system += "\n" + _GLOSSARY + "\n" + "\n".join(f"- {src} => {dst}" for src, dst in glossary)
        if insist:
            system += "\nThe previous answer ignored this terminology: use it exactly."
    return [{"role": "system", "content": system}, {"role": "user", "content": text}]


def prompt_overhead_text(*, kind: str, language: str, glossary: list[tuple[str, str]]) -> str:
    """The longest system prompt the job can send, to size chunks with the prompt included."""
    if kind == "translate":
        return translate_messages(source="en", target="en", glossary=glossary, text="", insist=True)[0]["content"]
    words = _SUMMARY[prompt_language(language)]
    return " ".join([words["map"], words["reduce"], words["detailed"], words["bullets"], words["plain"]])
