package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import io.vertx.core.buffer.Buffer;
import dev.neutrino.gateway.grpc.OversizedMessageProbe.Framing.Step;
import org.junit.jupiter.api.Test;

/**
 * How {@link OversizedMessageProbe} reads the model a refused message names from the message's first
 * bytes, however few of them have arrived: the bytes are grpc-java's own serialisation.
 */
class OversizedMessageProbeTest {
  private static final long LIMIT = 2000;

  /** A message as it travels in a gRPC stream: a 5-byte prefix, then the message. */
  private static Buffer framed(ModelInferRequest request, boolean compressed) {
    byte[] message = request.toByteArray();
    return Buffer.buffer().appendByte((byte) (compressed ? 1 : 0)).appendInt(message.length)
        .appendBytes(message);
  }

  private static Buffer bytes(ModelInferRequest request) {
    return Buffer.buffer(request.toByteArray());
  }

  private static ModelInferRequest request(String model, String version) {
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(model).setId("req-1");
    if (version != null) {
      request.setModelVersion(version);
    }
    return request.addRawInputContents(ByteString.copyFrom(new byte[1000])).build();
  }

  @Test
  void readsTheModelAndVersionFromTheHead() {
    Buffer message = bytes(request("resnet", "3"));
    assertEquals(new OversizedMessageProbe.Head("resnet", "3"),
        OversizedMessageProbe.Head.read(message, 0, 40, false), "the rest of the message is not needed");
  }

  @Test
  void waitsForMoreWhileTheHeadIsCut() {
    Buffer message = bytes(request("resnet", "3"));
    for (int cut = 0; cut < 2 + "resnet".length() + 2 + 1; cut++) {
      assertNull(OversizedMessageProbe.Head.read(message, 0, cut, false), "cut at " + cut);
    }
  }

  @Test
  void aMessageWithoutAVersionNamesTheModelOnly() {
    Buffer message = bytes(request("resnet", null));
    assertEquals(new OversizedMessageProbe.Head("resnet", null),
        OversizedMessageProbe.Head.read(message, 0, message.length(), true));
    assertEquals(new OversizedMessageProbe.Head("resnet", null),
        OversizedMessageProbe.Head.read(message, 0, 20, false), "the id (field 3) ends the head");
  }

  @Test
  void aMessageNamingNoModelIsReadAsNone() {
    Buffer message = bytes(ModelInferRequest.newBuilder().setId("x")
        .addRawInputContents(ByteString.copyFrom(new byte[100])).build());
    assertEquals(new OversizedMessageProbe.Head(null, null),
        OversizedMessageProbe.Head.read(message, 0, 10, false));
  }

  @Test
  void readsFromAnOffsetAndStopsAtTheEndOfATruncatedMessage() {
    Buffer framed = Buffer.buffer(new byte[] {0, 0, 0, 1, 0}).appendBuffer(bytes(request("m", "12")));
    assertEquals(new OversizedMessageProbe.Head("m", "12"), OversizedMessageProbe.Head.read(framed, 5, 30, false));
    assertEquals(new OversizedMessageProbe.Head("m", null), OversizedMessageProbe.Head.read(framed, 5, 9, true),
        "the message ended inside the version");
  }

  @Test
  void findsAnOversizedMessageBehindAnotherWhereverTheStreamIsCut() {
    Buffer small = framed(request("small", "1"), false); // within the limit: passes
    Buffer large = framed(ModelInferRequest.newBuilder().setModelName("large").setModelVersion("2")
        .addRawInputContents(ByteString.copyFrom(new byte[(int) LIMIT + 10])).build(), false);
    Buffer stream = small.copy().appendBuffer(large);
    for (int cut1 = 1; cut1 < small.length() + 40; cut1++) {
      for (int cut2 = cut1 + 1; cut2 < cut1 + 40; cut2 += 3) {
        OversizedMessageProbe.Framing framing = new OversizedMessageProbe.Framing(LIMIT);
        Buffer passed = Buffer.buffer();
        OversizedMessageProbe.Head head = null;
        for (Buffer chunk : new Buffer[] {stream.slice(0, cut1), stream.slice(cut1, cut2),
            stream.slice(cut2, stream.length())}) {
          switch (framing.accept(chunk)) {
            case PASS -> passed.appendBuffer(chunk);
            case HOLD -> { }
            case RELEASE -> {
              assertNull(head, "released once");
              head = framing.head();
              passed.appendBuffer(framing.release());
            }
          }
        }
        String where = "cut at " + cut1 + " and " + cut2;
        assertEquals(new OversizedMessageProbe.Head("large", "2"), head, where);
        assertEquals(stream, passed, "every byte handed on, in order: " + where);
      }
    }
  }

  @Test
  void passesAStreamOfMessagesWithinTheLimitUntouched() {
    OversizedMessageProbe.Framing framing = new OversizedMessageProbe.Framing(LIMIT);
    for (int i = 0; i < 50; i++) {
      assertEquals(OversizedMessageProbe.Framing.Step.PASS, framing.accept(framed(request("m" + i, "1"), false)));
    }
    assertEquals(OversizedMessageProbe.Framing.Step.PASS, framing.end());
    assertNull(framing.head());
  }

  @Test
  void aStreamEndingInsideTheHeadIsReleasedAtTheEnd() {
    Buffer large = framed(ModelInferRequest.newBuilder().setModelName("large")
        .addRawInputContents(ByteString.copyFrom(new byte[(int) LIMIT + 10])).build(), false);
    OversizedMessageProbe.Framing framing = new OversizedMessageProbe.Framing(LIMIT);
    assertEquals(OversizedMessageProbe.Framing.Step.HOLD, framing.accept(large.slice(0, 8)));
    assertEquals(OversizedMessageProbe.Framing.Step.RELEASE, framing.end());
    assertEquals(new OversizedMessageProbe.Head(null, null), framing.head(), "the name never came whole");
    assertEquals(large.slice(0, 8), framing.release());
  }

  @Test
  void aCompressedOversizedMessageIsReleasedAtOnceNamingNothing() {
    OversizedMessageProbe.Framing framing = new OversizedMessageProbe.Framing(LIMIT);
    Buffer large = framed(ModelInferRequest.newBuilder().setModelName("large")
        .addRawInputContents(ByteString.copyFrom(new byte[(int) LIMIT + 10])).build(), true);
    assertEquals(OversizedMessageProbe.Framing.Step.RELEASE, framing.accept(large.slice(0, 100)));
    assertEquals(new OversizedMessageProbe.Head(null, null), framing.head());
  }

  @Test
  void holdsNoMoreThanTheHeadBudget() {
    OversizedMessageProbe.Framing framing = new OversizedMessageProbe.Framing(LIMIT);
    // A prefix over the limit followed by a name longer than anything worth holding for.
    Buffer start = Buffer.buffer().appendByte((byte) 0).appendInt((int) LIMIT * 10).appendByte((byte) 0x0A)
        .appendBytes(new byte[] {(byte) 0xFF, (byte) 0x7F}); // a name of 16383 bytes
    Step first = framing.accept(start);
    assertEquals(Step.RELEASE, first, "a name over the budget is not waited for");
    assertEquals(new OversizedMessageProbe.Head(null, null), framing.head());
  }
}
