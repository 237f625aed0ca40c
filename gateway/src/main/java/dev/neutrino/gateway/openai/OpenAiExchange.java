package dev.neutrino.gateway.openai;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * One request under {@code /v1}, as the HTTP front end lends it to the OpenAI routes once access is
 * checked: the front end keeps what every REST request shares (the body limits and budget, the
 * status mapping of failures, the access log), the routes only decode, call and encode. Every
 * method is called on the request's event loop.
 */
public interface OpenAiExchange {
  HttpServerRequest request();

  /**
   * Reads the body within the gateway's limits (size, read timeout, body budget, Content-Encoding)
   * and hands it to {@code then}; a refused body is answered by the front end, in OpenAI's shape.
   */
  void readBody(Handler<Buffer> then);

  /** Answers {@code status} with a JSON body, and logs the request once (unless handed over). */
  void sendJson(int status, Buffer body);

  /**
   * Answers a failure in OpenAI's error shape: an {@link dev.neutrino.runtime.InferenceException}
   * through the gateway's status mapping, anything else logged and answered 500; a cancelled
   * request (its client went away) is not answered.
   *
   * @return the status answered, as metrics label it
   */
  int fail(Throwable failure);

  /** Answers {@code error} as it is. */
  void sendError(OpenAiError error);

  /** Names the model the request is for, for the access log. */
  void model(String name);

  /**
   * Names the model the request is for ({@link #model}), and moves the request's place at the front
   * door from the limit shared by requests whose model is in their body to {@code name}'s own limit,
   * now that the body has named it: false when that model, or the gateway, is at its limit, and the
   * request has been answered 429. True, moving nothing, for a request that holds no place.
   */
  boolean admitModel(String name);

  /**
   * From now on {@link dev.neutrino.gateway.call.InferenceCall}s log this request (one line per
   * call); the front end will not log it again.
   */
  void handOver();
}
