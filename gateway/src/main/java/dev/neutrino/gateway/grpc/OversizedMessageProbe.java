package dev.neutrino.gateway.grpc;

import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.logging.LogFields;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Counts an inference message refused for its size under the model it names, as HTTP counts a 413.
 *
 * <p>Design note. Vert.x gRPC reads each message's length prefix and, when it is over the limit, ends
 * the call with RESOURCE_EXHAUSTED and skips the message's bytes: none of them is decoded or reaches a
 * handler of ours, so the model the message named is never seen. Raising Vert.x's limit instead would
 * make it buffer the whole message before we could refuse it. So this wrapper sits between the HTTP/2
 * stream of a {@code ModelInfer} or {@code ModelStreamInfer} call and Vert.x's deframer, and follows
 * the gRPC framing itself (a prefix of 5 bytes: a compressed flag, a big-endian length): for messages
 * within the limit that is a few comparisons per chunk, nothing copied or held. When a prefix is over
 * the limit, it holds the stream's chunks back (at most {@link #HEAD_BYTES} of the message) until it
 * has read the message's fields 1 ({@code model_name}) and 2 ({@code model_version}), which protobuf
 * writers put first; counts the refusal with {@link GatewayMetrics#failed} (under the version they
 * resolve to when that is loaded, else among the unrouted requests, like any unknown name) and
 * writes its access-log line; then lets the chunks through, and Vert.x refuses the call as before. It
 * follows nothing after that: Vert.x ends the whole call at its first oversized message. A compressed
 * message's head cannot be read, and is counted as unrouted.
 *
 * <p>Thread-safety: confined to its stream's event loop, like the request it wraps.
 */
final class OversizedMessageProbe extends ChunkTap {
  /** The most of an oversized message held back to find the model it names. */
  static final int HEAD_BYTES = 4096;
  private static final int MODEL_NAME = 1;
  private static final int MODEL_VERSION = 2;
  private static final int LENGTH_DELIMITED = 2;
  private static final InferenceException TOO_LARGE =
      new InferenceException.TooLarge("request message too large");
  private static final String INFER_PATH = InferenceService.path("ModelInfer");
  private static final String STREAM_INFER_PATH = InferenceService.path("ModelStreamInfer");

  private final GatewayMetrics metrics;
  private final AccessLog accessLog;
  private final long arrivedNanos;

  private final Framing framing;
  private Handler<Void> endHandler;

  private OversizedMessageProbe(HttpServerRequestInternal request, long maxMessageBytes, GatewayMetrics metrics,
      AccessLog accessLog) {
    super(request);
    this.framing = new Framing(maxMessageBytes);
    this.metrics = metrics;
    this.accessLog = accessLog;
    this.arrivedNanos = System.nanoTime();
  }

  /**
   * {@code request} wrapped when it is an inference call and metrics or the access log are on, else
   * {@code request} itself.
   */
  static HttpServerRequest wrap(HttpServerRequest request, long maxMessageBytes, GatewayMetrics metrics,
      AccessLog accessLog) {
    String path = request.path();
    boolean inference = INFER_PATH.equals(path) || STREAM_INFER_PATH.equals(path);
    if (!inference || !(metrics.enabled() || accessLog.enabled())
        || !(request instanceof HttpServerRequestInternal internal)) {
      return request;
    }
    return new OversizedMessageProbe(internal, maxMessageBytes, metrics, accessLog);
  }

  @Override
  public HttpServerRequest endHandler(Handler<Void> handler) {
    endHandler = handler;
    delegate.endHandler(handler == null ? null : this::onEnd);
    return this;
  }

  @Override
  void onChunk(Buffer chunk) {
    switch (framing.accept(chunk)) {
      case PASS -> dataHandler.handle(chunk);
      case HOLD -> { }
      case RELEASE -> release();
    }
  }

  private void onEnd(Void nothing) {
    if (framing.end() == Framing.Step.RELEASE) {
      release(); // the message ended early: counted with what came
    }
    endHandler.handle(nothing);
  }

  /** Counts the oversized message, then lets the held chunks through to Vert.x, which refuses it. */
  private void release() {
    Head head = framing.head();
    long nanos = System.nanoTime() - arrivedNanos;
    String code = GrpcStatus.RESOURCE_EXHAUSTED.name();
    metrics.failed(Protocol.GRPC, head.model(), head.version(), code, nanos, TOO_LARGE);
    if (accessLog.enabled()) {
      accessLog.log(new LogFields.Access("grpc", "POST", path(), code, TimeUnit.NANOSECONDS.toMicros(nanos),
          head.model(), head.version(), null));
    }
    Buffer held = framing.release();
    if (dataHandler != null) {
      dataHandler.handle(held);
    }
  }

  /**
   * The gRPC framing of one request stream, followed chunk by chunk up to its first message over the
   * limit, whose head it holds back until it names the model. Pure: no I/O, no clock.
   */
  static final class Framing {
    /** What to do with a chunk just accepted. */
    enum Step {
      /** Hand the chunk on. */
      PASS,
      /** Keep it: an oversized message's head is being read. */
      HOLD,
      /** Hand on {@link #release()} (which includes the chunk): the head is read, see {@link #head()}. */
      RELEASE
    }

    private final long maxMessageBytes;
    /** Bytes of the current message not yet passed. */
    private long toSkip;
    private final MessagePrefix prefix = new MessagePrefix();
    /** The chunks held back while the oversized message's head is read; null when none are. */
    private Buffer held;
    /** Where the oversized message starts in {@link #held}. */
    private int headStart;
    private Head head;

    Framing(long maxMessageBytes) {
      this.maxMessageBytes = maxMessageBytes;
    }

    Step accept(Buffer chunk) {
      if (held != null) {
        held.appendBuffer(chunk);
        return readHead(false);
      }
      if (head != null) {
        return Step.PASS; // past the first oversized message: Vert.x has ended the call
      }
      int size = chunk.length();
      int at = 0;
      while (at < size) {
        if (toSkip > 0) {
          int step = (int) Math.min(toSkip, size - at);
          toSkip -= step;
          at += step;
          continue;
        }
        if (!prefix.take(chunk.getByte(at++) & 0xFF)) {
          continue;
        }
        if (prefix.length() > maxMessageBytes) {
          held = Buffer.buffer(Math.max(size, 256)).appendBuffer(chunk); // a copy, which can grow
          headStart = at;
          return readHead(false);
        }
        toSkip = prefix.length();
      }
      return Step.PASS;
    }

    /** At the end of the stream: RELEASE when a head was still being read. */
    Step end() {
      return held == null ? Step.PASS : readHead(true);
    }

    /** The held chunks, let go; once after each RELEASE. */
    Buffer release() {
      Buffer out = held;
      held = null;
      return out;
    }

    /** The oversized message's head once released; its fields are null where it named nothing readable. */
    Head head() {
      return head;
    }

    private Step readHead(boolean ended) {
      int available = held.length() - headStart;
      long length = prefix.length();
      Head read = prefix.compressed() ? Head.UNREADABLE
          : Head.read(held, headStart, headStart + (int) Math.min(available, length), available >= length);
      if (read == null && !ended && available < HEAD_BYTES) {
        return Step.HOLD;
      }
      head = read == null ? Head.UNREADABLE : read;
      return Step.RELEASE;
    }
  }

  /**
   * The model and version a serialised {@code ModelInferRequest} names, read from its leading fields.
   *
   * @param model null when the message names none
   * @param version null when the message names none
   */
  record Head(String model, String version) {
    static final Head UNREADABLE = new Head(null, null);

    /**
     * Reads fields 1 and 2 from {@code bytes[from, to)}.
     *
     * @param whole whether {@code to} is the end of the message
     * @return the head, or null when more bytes are needed
     */
    static Head read(Buffer bytes, int from, int to, boolean whole) {
      String model = null;
      String version = null;
      int[] at = {from};
      while (at[0] < to) {
        long tag = varint(bytes, at, to);
        if (tag < 0) {
          return tag == TRUNCATED && !whole ? null : new Head(model, version);
        }
        int field = (int) (tag >>> 3);
        if ((field != MODEL_NAME && field != MODEL_VERSION) || (tag & 7) != LENGTH_DELIMITED) {
          return new Head(model, version); // past the head
        }
        long size = varint(bytes, at, to);
        if (size < 0) {
          return size == TRUNCATED && !whole ? null : new Head(model, version);
        }
        if (size > HEAD_BYTES) {
          return new Head(model, version); // no name that long is loaded
        }
        if (at[0] + size > to) {
          return whole ? new Head(model, version) : null;
        }
        String value = bytes.getString(at[0], at[0] + (int) size, StandardCharsets.UTF_8.name());
        if (field == MODEL_VERSION) {
          return new Head(model, value); // the name, if any, came first
        }
        model = value;
        at[0] += (int) size;
      }
      return whole ? new Head(model, version) : null;
    }

    /** {@link #varint}: the bytes ended inside the varint. */
    private static final long TRUNCATED = -1;
    /** {@link #varint}: longer than the five bytes a tag or a length of the head may take. */
    private static final long TOO_LONG = -2;

    /**
     * Reads the varint at {@code at[0]} of {@code bytes[.., to)}, moving {@code at[0]} past it.
     *
     * @return its value, or {@link #TRUNCATED} or {@link #TOO_LONG}
     */
    private static long varint(Buffer bytes, int[] at, int to) {
      long value = 0;
      for (int shift = 0; shift <= 28; shift += 7) {
        if (at[0] >= to) {
          return TRUNCATED;
        }
        int b = bytes.getByte(at[0]++) & 0xFF;
        value |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
      return TOO_LONG;
    }
  }
}
