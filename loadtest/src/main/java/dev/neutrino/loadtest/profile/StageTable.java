package dev.neutrino.loadtest.profile;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Maps a sampled stack to the {@link Stage} it spends its time in.
 *
 * <p>The innermost frame that a rule names decides: a stack is read from the frame that was running
 * towards its thread's root, frames that no rule names (the JDK's collections, Jackson, Netty's
 * buffers) are passed over, and the first frame a rule matches gives the stage. So JSON parsing called
 * from the gateway's decoder is decode, a socket write called from an encoder is send, and the event
 * loop at the root counts only for what runs in it directly. Within one frame, the rules are tried in
 * order and the first match wins, which lets a specific rule (a method of a class) come before a
 * broad one (its package).
 *
 * <p>One exception reads the whole stack first: any frame of the load generator
 * ({@code dev.neutrino.loadtest}, outside this package) makes the sample {@link Stage#GENERATOR}, since
 * the generator runs in the same JVM and its time is not the gateway's.
 *
 * <p>Immutable and thread-safe.
 */
public final class StageTable {
  private static final String GENERATOR_PACKAGE = "dev.neutrino.loadtest.";
  private static final String PROFILE_PACKAGE = "dev.neutrino.loadtest.profile.";

  /**
   * A rule: frames of classes whose name starts with {@code typePrefix} (a package ends in a dot; a
   * class name matches itself and its nested classes) and, when given, whose method name matches
   * {@code method} completely.
   */
  public record Rule(Stage stage, String typePrefix, Pattern method) {
    public Rule {
      Objects.requireNonNull(stage, "stage");
      Objects.requireNonNull(typePrefix, "typePrefix");
      if (typePrefix.isEmpty()) {
        throw new IllegalArgumentException("a rule needs a class or package prefix");
      }
    }

    static Rule of(Stage stage, String typePrefix) {
      return new Rule(stage, typePrefix, null);
    }

    static Rule of(Stage stage, String typePrefix, String methodRegex) {
      return new Rule(stage, typePrefix, Pattern.compile(methodRegex));
    }

    boolean matches(Frame frame) {
      String type = frame.type();
      if (!type.startsWith(typePrefix)) {
        return false;
      }
      if (!typePrefix.endsWith(".") && type.length() > typePrefix.length() && type.charAt(typePrefix.length()) != '$') {
        return false; // io.netty.Foo must not match io.netty.FooBar
      }
      return method == null || method.matcher(frame.method()).matches();
    }
  }

  private static final String WRITES = "(write|flush|end|send).*";

  /** The gateway's stage table: its classes, Netty, Vert.x, gRPC and ONNX Runtime. */
  private static final StageTable STANDARD = new StageTable(List.of(
      // split and assembly share BatchAssembly: cutting outputs is split, the rest assembles the batch
      Rule.of(Stage.SPLIT, "dev.neutrino.batching.BatchAssembly", "select|slices|wanted|require"),
      Rule.of(Stage.QUEUE, "dev.neutrino.batching.BatchAssembly"),
      Rule.of(Stage.COMPUTE, "ai.onnxruntime."),
      Rule.of(Stage.COMPUTE, "dev.neutrino.runtime.onnx."),
      Rule.of(Stage.VALIDATE, "dev.neutrino.batching.ModelSignature"),
      Rule.of(Stage.VALIDATE, "dev.neutrino.runtime.RequestChecks"),
      Rule.of(Stage.VALIDATE, "dev.neutrino.runtime.Shapes"),
      Rule.of(Stage.VALIDATE, "dev.neutrino.gateway.security."),
      Rule.of(Stage.METRICS, "dev.neutrino.gateway.metrics."),
      Rule.of(Stage.METRICS, "dev.neutrino.gateway.logging."),
      Rule.of(Stage.METRICS, "dev.neutrino.batching.Counters"),
      Rule.of(Stage.METRICS, "dev.neutrino.batching.SchedulerStats"),
      Rule.of(Stage.METRICS, "dev.neutrino.gateway.call.InferenceCall", "observe.*"),
      Rule.of(Stage.METRICS, "io.prometheus."),
      Rule.of(Stage.ENCODE, "dev.neutrino.gateway.http.HttpInferenceCodec",
          "encode.*|writeData|jsonSizeEstimate|errorBody"),
      Rule.of(Stage.ENCODE, "dev.neutrino.gateway.http.EncodedResponse"),
      Rule.of(Stage.ENCODE, "dev.neutrino.gateway.grpc.GrpcInferenceCodec", "encode.*|typedContents"),
      Rule.of(Stage.ENCODE, "dev.neutrino.gateway.grpc.GrpcInference", "answer|fail"),
      Rule.of(Stage.ENCODE, "dev.neutrino.gateway.grpc.ProtobufCodec", "encode.*|lambda\\$encode.*"),
      Rule.of(Stage.ENCODE, "com.google.protobuf.CodedOutputStream"),
      Rule.of(Stage.DECODE, "dev.neutrino.gateway.http.HttpInferenceCodec"),
      Rule.of(Stage.DECODE, "dev.neutrino.gateway.http.DecodedInference"),
      Rule.of(Stage.DECODE, "dev.neutrino.gateway.http.ProtocolJson"),
      Rule.of(Stage.DECODE, "dev.neutrino.gateway.http.GrowableBytes"),
      Rule.of(Stage.DECODE, "dev.neutrino.gateway.http.ContentCoding"),
      Rule.of(Stage.DECODE, "dev.neutrino.gateway.grpc.GrpcInferenceCodec"),
      Rule.of(Stage.DECODE, "dev.neutrino.gateway.grpc.GrpcInference", "decode"),
      Rule.of(Stage.DECODE, "dev.neutrino.gateway.grpc.ProtobufCodec"),
      Rule.of(Stage.DECODE, "com.google.protobuf.CodedInputStream"),
      Rule.of(Stage.QUEUE, "dev.neutrino.gateway.admission."),
      Rule.of(Stage.QUEUE, "dev.neutrino.batching."),
      Rule.of(Stage.QUEUE, "dev.neutrino.gateway.call."),
      Rule.of(Stage.QUEUE, "dev.neutrino.repo."),
      Rule.of(Stage.SEND, "sun.nio.ch.", "write.*|.*[wW]rite0"),
      Rule.of(Stage.SEND, "io.netty.channel.", WRITES),
      Rule.of(Stage.SEND, "io.netty.channel.ChannelOutboundBuffer"),
      Rule.of(Stage.SEND, "io.netty.handler.codec.MessageToByteEncoder"),
      Rule.of(Stage.SEND, "io.netty.handler.codec.MessageToMessageEncoder"),
      Rule.of(Stage.SEND, "io.netty.handler.codec.http.HttpObjectEncoder"),
      Rule.of(Stage.SEND, "io.netty.handler.codec.http.HttpResponseEncoder"),
      Rule.of(Stage.SEND, "io.netty.handler.codec.http2.", WRITES + "|encode.*"),
      Rule.of(Stage.SEND, "io.vertx.core.http.impl.Http1xServerResponse"),
      Rule.of(Stage.SEND, "io.vertx.core.http.impl.", WRITES),
      Rule.of(Stage.SEND, "io.vertx.core.net.impl.", WRITES),
      Rule.of(Stage.SEND, "io.vertx.grpc.", WRITES),
      Rule.of(Stage.QUEUE, "io.netty.util.concurrent."),
      Rule.of(Stage.RECEIVE, "io.netty."),
      Rule.of(Stage.RECEIVE, "sun.nio.ch."),
      Rule.of(Stage.RECEIVE, "io.vertx.core.http."),
      Rule.of(Stage.RECEIVE, "io.vertx.core.net."),
      Rule.of(Stage.RECEIVE, "io.vertx.grpc."),
      Rule.of(Stage.RECEIVE, "io.vertx.ext.web."),
      Rule.of(Stage.QUEUE, "io.vertx.core."),
      Rule.of(Stage.RECEIVE, "dev.neutrino.gateway.")));

  /** Native methods in which a thread waits rather than works: readiness waits, accepts, sleeps. */
  private static final java.util.Set<String> WAITS = java.util.Set.of(
      "sun.nio.ch.EPoll.wait", "sun.nio.ch.Net.poll", "sun.nio.ch.Net.accept", "sun.nio.ch.ServerSocketChannelImpl.accept0",
      "io.netty.channel.epoll.Native.epollWait", "io.netty.channel.epoll.Native.epollWait0",
      "io.netty.channel.epoll.Native.epollBusyWait0", "io.netty.channel.kqueue.Native.keventWait",
      "java.lang.Object.wait", "java.lang.Thread.sleep", "jdk.internal.misc.Unsafe.park");

  private final List<Rule> rules;

  /** A table of {@code rules}, tried in order on each frame. */
  public StageTable(List<Rule> rules) {
    this.rules = List.copyOf(rules);
    if (this.rules.isEmpty()) {
      throw new IllegalArgumentException("a stage table needs at least one rule");
    }
  }

  /** The table for the gateway (see the class comment for how it reads a stack). */
  public static StageTable standard() {
    return STANDARD;
  }

  public List<Rule> rules() {
    return rules;
  }

  /**
   * The stage of one sample.
   *
   * @param stack the frames, the running one first (as JFR lists them)
   * @return {@link Stage#GENERATOR} for the load generator's stacks; else the stage of the innermost
   *     frame a rule matches; {@link Stage#OTHER} when none does
   */
  public Stage classify(List<Frame> stack) {
    for (Frame frame : stack) {
      if (frame.type().startsWith(GENERATOR_PACKAGE) && !frame.type().startsWith(PROFILE_PACKAGE)) {
        return Stage.GENERATOR;
      }
    }
    for (Frame frame : stack) {
      Stage stage = stageOf(frame);
      if (stage != null) {
        return stage;
      }
    }
    return Stage.OTHER;
  }

  /**
   * Whether a stack is waiting, not working: its running frame is a readiness wait, an accept or a
   * sleep. Such native samples say where a thread idles; they are left out of the flame graphs and
   * of the weights that divide a thread's native time.
   */
  public boolean waiting(List<Frame> stack) {
    return !stack.isEmpty() && WAITS.contains(stack.get(0).toString());
  }

  /** The stage of the first rule matching {@code frame}, or null. */
  Stage stageOf(Frame frame) {
    for (Rule rule : rules) {
      if (rule.matches(frame)) {
        return rule.stage();
      }
    }
    return null;
  }
}
