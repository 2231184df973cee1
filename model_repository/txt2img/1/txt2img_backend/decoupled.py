"""What every decoupled Python-backend model here (txt2img, style_train) does last for a request."""

import triton_python_backend_utils as pb_utils


def finish(sender, response, model: str) -> None:
    """Sends the request's last response (None: an empty one) with the COMPLETE_FINAL flag."""
    flags = pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL
    try:
        if response is None:
            sender.send(flags=flags)
        else:
            sender.send(response, flags=flags)
    except Exception as exc:  # the client may be gone; the request is over either way
        pb_utils.Logger.log_warn(f"{model}: could not send the last response: {exc!r}")
