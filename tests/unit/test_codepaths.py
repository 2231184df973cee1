"""A generation's path from the route to the images crosses no more files than it does now
(tools/codepaths.py says how they are counted): a new file on it is a choice, made here."""

from tools.codepaths import generation_path_files

# 60 when issue 9 counted 61 (the same rule); 71 after contracts/, the error interceptor, id parsing
# in glue and the gateway's rate limits; 68 after three single-caller modules were folded in; 72
# with consumer lag metrics, the worker's periodic chores, the login tarpit and credit reservations;
# 73 with the verified user token every internal call carries; 77 with previews relayed by the
# generation service (progress_relay, latest_queue), the shared NATS connect and the model's deployment
# settings (pipeline and weights from the environment); 60 once the generations routes asked for the
# clients they use instead of every dependency of the gateway (the feed client and the rate limits
# left the path), the gateway's progress client joined its generation client, the txt2img backend's
# request joined its pipeline contract and its import paths its deployment settings, a consumer's lag
# joined the consumer, and the worker and deleter named the object store methods they use; 59 with the
# image actions (upscale, ...) handed to the handlers and the worker by wiring as `ImageAction`s
# (inference.py, beside the model client they call), not imported by them, and the generation
# service's events.py, which re-exported contracts/generation.py, gone (ImagesReady is built by the
# worker that emits it); 60 with the style reference's palette transfer (imagemodel/style.py, which
# the worker applies to a styled generation). An action's own options (the editor's operations, a
# fill's mask) stay with its module, off the generation's path. 62 with custom styles: the txt2img
# backend applies a style's LoRA (imagemodel/style_lora.py) and shares its decoupled models' last
# response (txt2img_backend/decoupled.py); the service's custom models reach the worker as an
# interface (inference.StyleModels, handed over by wiring), off the path. 63 with the learned
# prompt reader (imagemodel/prompt_reader.py), which reads what the phrasing rules cannot; 64 with
# its resolution of unknown words through the text encoder (imagemodel/word_meanings.py); 66 with
# the prompt's words brought to the world's before anything reads them (imagemodel/prompt_lexicon.py:
# slips, split words, background nouns) and the colour names people use (imagemodel/colour_lexicon.py).
# A team's custom models stay off the path: the submission asks a CustomModelAuthority that wiring
# hands over (custom_model_use.ModelUse), and the authority's team answer lives with its client.
# 67 on main with glue/cancellation.py (loops that talk to NATS are stopped, cfc0abd); 68 with
# position phrases read by axis (imagemodel/spatial_lexicon.py), a job of its own beside the colour names;
# 69 with size words and "X-sized" compounds (imagemodel/size_lexicon.py), a job of its own beside those.
# 70 with everyday nouns read by their WordNet outline (imagemodel/outline_lexicon.py), one job beside those.
# 71 with wide and tall frames composed in the trained square (imagemodel/framing.py), apart from the loop.
CEILING = 71


def test_a_generation_crosses_no_more_files_than_the_ceiling() -> None:
    files = generation_path_files()
    assert len(files) <= CEILING, "\n".join(files)


def test_the_count_follows_every_entry_down_to_the_model() -> None:
    files = set(generation_path_files())
    # One file from each stretch of the path, reached only through the others.
    assert {
        "services/gateway/clients/generation.py",  # the route's client of the generation service
        "services/generation/repository.py",  # the service's storage
        "glue/consumer.py",  # the worker's JetStream consumer
        "imagemodel/model.py",  # the model the Triton backend runs
        "atelier/generation/v1/generation_pb2.py",  # generated code counts
    } <= files
    assert "services/gateway/__init__.py" not in files  # an empty package file does not
