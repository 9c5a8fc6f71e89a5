"""Wording of the SFT examples: user questions and reasoning traces, picked deterministically
(a stable hash of the example id) so the same corpus always gives the same dataset."""

import hashlib

TASKS = {
    "explain": "an explanation",
    "address_map": "an address map",
    "overview": "a short overview",
    "detail": "a more detailed follow-up",
}

# Each trace names the task, so the model learns to say what it is doing before it answers.
TRACES = (
    "The user wants {task} of {topic}. I will recall what the C64 documentation says about it "
    "and give the key facts clearly.",
    "Task: {task} of {topic}. I should check which chip or ROM routine is involved, then state "
    "the relevant addresses and behaviour accurately.",
    "This calls for {task} about {topic}. Let me collect the facts from the reference material "
    "and present them in a logical order.",
    "I am asked for {task} of {topic}. The answer should stay concrete: registers, values and "
    "what a program has to do.",
    "Request: {task} on {topic}. I will keep it concise, keep the hex addresses exact, and avoid "
    "guessing beyond the source.",
    "To give {task} of {topic}, I first recall the relevant part of the C64 memory map and "
    "hardware, then summarise it for the user.",
    "The question needs {task} regarding {topic}. I will reason about what the manual describes "
    "and answer with the essential points.",
    "Planning {task} for {topic}: identify the component, recall its registers or routines, and "
    "explain how they are used.",
    "Giving {task} of {topic} means sticking to documented facts. I will quote addresses in $ "
    "notation and keep values exact.",
    "For {task} of {topic}, the useful facts are the addresses, the bit meanings and the usual "
    "usage from BASIC or machine language.",
    "I need to produce {task} about {topic}. I will check the details against the documentation "
    "before writing a short, precise reply.",
    "{task} of {topic} is wanted. I will organise the relevant C64 details and answer politely "
    "and to the point.",
)

QUESTIONS = {
    "explain": (
        "Can you explain {topic} on the Commodore 64?",
        "What should I know about {topic}?",
        "Explain {topic}, please.",
        "How does {topic} work on the C64?",
        "I'm reading about {topic}. What does it cover?",
    ),
    "address_map": (
        "Which memory addresses are involved in {topic}, and what does each do?",
        "Give me the address map for {topic}.",
        "List the registers or locations used by {topic}.",
        "What are the important addresses for {topic}?",
    ),
    "overview": (
        "In a sentence or two, what is {topic} about?",
        "Give me a quick overview of {topic}.",
        "Briefly, what is {topic}?",
        "Summarise {topic} for me.",
    ),
    "detail": (
        "Can you go into more detail?",
        "Tell me more about that.",
        "What else should I know about it?",
        "Could you expand on that, with specifics?",
    ),
}


def pick(options: tuple[str, ...], key: str) -> str:
    """The same option for the same key, on every machine and every run."""
    digest = hashlib.sha256(key.encode()).digest()
    return options[int.from_bytes(digest[:8], "big") % len(options)]


def trace(task: str, topic: str, key: str) -> str:
    text = pick(TRACES, f"trace:{key}").format(task=TASKS[task], topic=topic)
    return text[0].upper() + text[1:]


def question(task: str, topic: str, key: str) -> str:
    return pick(QUESTIONS[task], f"question:{key}").format(topic=topic)
