package dev.neutrino.loadtest.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stage table reads hand-built stacks (the running frame first, as JFR gives them). */
class StageTableTest {
  private static final StageTable TABLE = StageTable.standard();

  private static List<Frame> stack(String... frames) {
    return Arrays.stream(frames).map(Frame::parse).toList();
  }

  private static final String[] EVENT_LOOP = {
      "io.vertx.core.http.impl.Http1xServerConnection.handleMessage",
      "io.netty.channel.AbstractChannelHandlerContext.invokeChannelRead",
      "io.netty.channel.nio.AbstractNioByteChannel$NioByteUnsafe.read",
      "io.netty.channel.nio.NioEventLoop.processSelectedKeys",
      "io.netty.channel.nio.NioEventLoop.run",
      "io.netty.util.concurrent.SingleThreadEventExecutor$4.run",
      "java.lang.Thread.run"};

  private static List<Frame> onEventLoop(String... inner) {
    String[] all = Arrays.copyOf(inner, inner.length + EVENT_LOOP.length);
    System.arraycopy(EVENT_LOOP, 0, all, inner.length, EVENT_LOOP.length);
    return stack(all);
  }

  @Test
  void jsonParsingUnderTheDecoderIsDecode() {
    assertEquals(Stage.DECODE, TABLE.classify(onEventLoop(
        "com.fasterxml.jackson.core.json.UTF8StreamJsonParser._parseFloatThatStartsWithPeriod",
        "com.fasterxml.jackson.core.json.UTF8StreamJsonParser.nextToken",
        "dev.neutrino.gateway.http.HttpInferenceCodec.decode",
        "dev.neutrino.gateway.http.HttpFrontEnd.infer")));
  }

  @Test
  void theEventLoopItselfIsReceive() {
    assertEquals(Stage.RECEIVE, TABLE.classify(onEventLoop("java.util.HashMap.get")));
    assertEquals(Stage.RECEIVE, TABLE.classify(stack("sun.nio.ch.EPoll.wait", "sun.nio.ch.EPollSelectorImpl.doSelect",
        "io.netty.channel.nio.NioEventLoop.select", "io.netty.channel.nio.NioEventLoop.run")));
    assertEquals(Stage.RECEIVE, TABLE.classify(stack("sun.nio.ch.SocketDispatcher.read0", "sun.nio.ch.IOUtil.read",
        "io.netty.channel.nio.AbstractNioByteChannel$NioByteUnsafe.read")));
  }

  @Test
  void aSocketWriteUnderTheEncoderIsSendAndTheEncoderItselfEncode() {
    assertEquals(Stage.SEND, TABLE.classify(onEventLoop(
        "sun.nio.ch.SocketDispatcher.writev0",
        "sun.nio.ch.IOUtil.write",
        "io.netty.channel.socket.nio.NioSocketChannel.doWrite",
        "io.netty.channel.AbstractChannel$AbstractUnsafe.flush0",
        "io.vertx.core.http.impl.Http1xServerResponse.end",
        "dev.neutrino.gateway.http.HttpInferenceCodec.encode")));
    assertEquals(Stage.ENCODE, TABLE.classify(onEventLoop(
        "com.fasterxml.jackson.core.json.UTF8JsonGenerator.writeNumber",
        "dev.neutrino.gateway.http.HttpInferenceCodec.writeData",
        "dev.neutrino.gateway.http.HttpInferenceCodec.encode")));
    assertEquals(Stage.ENCODE, TABLE.classify(stack("com.google.protobuf.CodedOutputStream$ArrayEncoder.writeFloat",
        "dev.neutrino.gateway.grpc.GrpcInferenceCodec.encode", "dev.neutrino.gateway.grpc.GrpcInference.answer")));
    assertEquals(Stage.DECODE, TABLE.classify(stack("com.google.protobuf.CodedInputStream$ArrayDecoder.readBytes",
        "dev.neutrino.gateway.grpc.GrpcInferenceCodec.decode", "dev.neutrino.gateway.grpc.GrpcInference.decode")));
  }

  @Test
  void theModelThreadSplitsComputeFromAssemblyAndSplitting() {
    String[] worker = {"dev.neutrino.batching.DynamicBatcher.execute", "dev.neutrino.batching.DynamicBatcher$Worker.run",
        "java.lang.Thread.run"};
    assertEquals(Stage.COMPUTE, TABLE.classify(stack("ai.onnxruntime.OrtSession.run",
        "dev.neutrino.runtime.onnx.OnnxSessionModel.run", worker[0], worker[1], worker[2])));
    assertEquals(Stage.QUEUE, TABLE.classify(stack("java.nio.DirectByteBuffer.put",
        "dev.neutrino.batching.BatchAssembly.concatenate", worker[0], worker[1], worker[2])));
    assertEquals(Stage.SPLIT, TABLE.classify(stack("java.nio.DirectByteBuffer.get",
        "dev.neutrino.batching.BatchAssembly.slices", "dev.neutrino.batching.BatchAssembly.select", worker[0])));
    assertEquals(Stage.VALIDATE, TABLE.classify(stack("dev.neutrino.batching.ModelSignature.rows",
        "dev.neutrino.batching.DynamicBatcher.submit")));
  }

  @Test
  void observingACallIsMetricsAndRunningItIsQueue() {
    assertEquals(Stage.METRICS, TABLE.classify(stack("java.util.concurrent.atomic.LongAdder.add",
        "dev.neutrino.gateway.metrics.LatencyHistogram.record", "dev.neutrino.gateway.call.InferenceCall.finish")));
    assertEquals(Stage.METRICS, TABLE.classify(stack("dev.neutrino.gateway.call.InferenceCall.observe",
        "dev.neutrino.gateway.call.InferenceCall.finish")));
    assertEquals(Stage.QUEUE, TABLE.classify(stack("java.util.concurrent.CompletableFuture.whenComplete",
        "dev.neutrino.gateway.call.InferenceCall.run")));
  }

  @Test
  void anyGeneratorFrameMakesTheSampleTheGenerators() {
    assertEquals(Stage.GENERATOR, TABLE.classify(onEventLoop("sun.nio.ch.SocketDispatcher.write0",
        "io.netty.channel.AbstractChannel$AbstractUnsafe.flush0", "dev.neutrino.loadtest.HttpInferenceClient.send")));
    assertEquals(Stage.DECODE, TABLE.classify(stack("dev.neutrino.gateway.http.HttpInferenceCodec.decode",
        "dev.neutrino.loadtest.profile.CpuProfiler.measure")), "the profiler's own package is not the generator");
  }

  @Test
  void aStackNoRuleNamesIsOther() {
    assertEquals(Stage.OTHER, TABLE.classify(stack("java.lang.ref.Reference.processPendingReferences",
        "java.lang.ref.Reference$ReferenceHandler.run")));
    assertEquals(Stage.OTHER, TABLE.classify(List.of()));
  }

  @Test
  void aClassRuleMatchesItsNestedClassesButNotALongerName() {
    StageTable table = new StageTable(List.of(StageTable.Rule.of(Stage.VALIDATE, "a.b.Foo"),
        StageTable.Rule.of(Stage.SEND, "a.b.", "write.*")));
    assertEquals(Stage.VALIDATE, table.classify(stack("a.b.Foo.check")));
    assertEquals(Stage.VALIDATE, table.classify(stack("a.b.Foo$Inner.check")));
    assertEquals(Stage.OTHER, table.classify(stack("a.b.FooBar.check")));
    assertEquals(Stage.SEND, table.classify(stack("a.b.FooBar.writeAll")));
    assertEquals(Stage.VALIDATE, table.classify(stack("a.b.Foo.writeAll")), "within a frame the first rule wins");
  }

  @Test
  void theInnermostNamedFrameWinsOverItsCallers() {
    StageTable table = new StageTable(List.of(StageTable.Rule.of(Stage.ENCODE, "x.Encoder"),
        StageTable.Rule.of(Stage.DECODE, "x.Decoder")));
    assertEquals(Stage.ENCODE, table.classify(stack("y.Unknown.f", "x.Encoder.f", "x.Decoder.g")));
    assertEquals(Stage.DECODE, table.classify(stack("y.Unknown.f", "x.Decoder.g", "x.Encoder.f")));
  }

  @Test
  void readinessWaitsAndSleepsAreWaitingAndSocketCallsAreNot() {
    assertTrue(TABLE.waiting(stack("sun.nio.ch.EPoll.wait", "sun.nio.ch.EPollSelectorImpl.doSelect")));
    assertTrue(TABLE.waiting(stack("io.netty.channel.epoll.Native.epollWait", "io.netty.channel.epoll.EpollIoHandler.run")));
    assertTrue(!TABLE.waiting(stack("sun.nio.ch.SocketDispatcher.read0", "sun.nio.ch.EPoll.wait")));
    assertTrue(!TABLE.waiting(List.of()));
  }

  @Test
  void admissionAtTheFrontDoorIsQueue() {
    assertEquals(Stage.QUEUE, TABLE.classify(onEventLoop("dev.neutrino.gateway.admission.GradientLimit.acquire",
        "dev.neutrino.gateway.http.HttpFrontEnd.infer")));
  }

  @Test
  void rejectsBadRulesAndFrames() {
    assertThrows(IllegalArgumentException.class, () -> new StageTable(List.of()));
    assertThrows(IllegalArgumentException.class, () -> StageTable.Rule.of(Stage.SEND, ""));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Frame.parse("noMethod"));
    assertEquals("a frame is package.Class.method, got 'noMethod'", e.getMessage());
  }
}
