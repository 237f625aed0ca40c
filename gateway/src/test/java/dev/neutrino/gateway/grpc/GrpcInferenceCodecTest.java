package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest.InferInputTensor;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.runtime.Tensor;
import io.netty.buffer.Unpooled;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.WireFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@link GrpcInferenceCodec} copies and what it does not: tensors are views of the wire's bytes. */
class GrpcInferenceCodecTest {
  private static final long LIMIT = 1 << 20;

  @Test
  void rawInputIsAViewOfTheMessageNotACopy() {
    byte[] raw = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(2f).array();
    ModelInferRequest message = ModelInferRequest.newBuilder()
        .setModelName("m")
        .addInputs(InferInputTensor.newBuilder().setName("X").setDatatype("FP32").addShape(2))
        .addRawInputContents(UnsafeByteOperations.unsafeWrap(raw))
        .build();

    Tensor x = GrpcInferenceCodec.decode(message, LIMIT).request().inputs().get("X");
    assertArrayEquals(new float[] {1f, 2f}, x.toFloatArray());
    assertFalse(x.data().isDirect(), "no direct buffer per request: batch assembly copies the tensor once");
    // Nothing writes a message's bytes once parsed; here the test does, to show the tensor reads them.
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putFloat(4, 7f);

    assertArrayEquals(new float[] {1f, 7f}, x.toFloatArray());
  }

  @Test
  void rawInputOfAReceivedFrameIsAViewOfTheFrame() {
    byte[] raw = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(2f).array();
    byte[] frame = ModelInferRequest.newBuilder()
        .setModelName("m")
        .addInputs(InferInputTensor.newBuilder().setName("X").setDatatype("FP32").addShape(2))
        .addRawInputContents(ByteString.copyFrom(raw))
        .build()
        .toByteArray();
    Received<ModelInferRequest> received = ProtobufCodec.decoder(ModelInferRequest.parser())
        .decode(GrpcMessage.message("identity", WireFormat.PROTOBUF, BufferInternal.buffer(Unpooled.wrappedBuffer(frame))));

    Tensor x = GrpcInferenceCodec.decode(received.message(), LIMIT).request().inputs().get("X");
    assertArrayEquals(new float[] {1f, 2f}, x.toFloatArray());
    // The raw contents are the frame's last 8 bytes. Nothing writes a frame once parsed; here the test
    // does, to show that the tensor reads the frame's own bytes: no copy between the frame and the batch.
    ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).putFloat(frame.length - 4, 7f);

    assertArrayEquals(new float[] {1f, 7f}, x.toFloatArray());
  }

  @Test
  void aFrameEndingInAStrayEndGroupTagIsMalformed() {
    byte[] message = ModelInferRequest.newBuilder().setModelName("m").build().toByteArray();
    byte[] frame = java.util.Arrays.copyOf(message, message.length + 1);
    frame[message.length] = 0x0C; // END_GROUP of field 1, with no group open

    Received<ModelInferRequest> received = ProtobufCodec.decoder(ModelInferRequest.parser())
        .decode(GrpcMessage.message("identity", WireFormat.PROTOBUF, BufferInternal.buffer(Unpooled.wrappedBuffer(frame))));

    assertNull(received.message());
    assertEquals(GrpcStatus.INVALID_ARGUMENT, received.status());
  }

  @Test
  void typedInputNeedsNoDirectBuffer() {
    ModelInferRequest message = ModelInferRequest.newBuilder()
        .setModelName("m")
        .addInputs(GrpcTestClient.int32Input("X", 3, -4))
        .build();

    Tensor x = GrpcInferenceCodec.decode(message, LIMIT).request().inputs().get("X");

    assertArrayEquals(new int[] {3, -4}, x.toIntArray());
    assertFalse(x.data().isDirect(), "no direct buffer per request: batch assembly copies the tensor once");
  }

  @Test
  void rawOutputIsEncodedFromTheOutputBuffer() {
    Tensor y = Tensor.ofFloats(new long[] {2}, 5f, 6f);
    Map<String, Tensor> outputs = new LinkedHashMap<>();
    outputs.put("Y", y);

    ModelInferResponse response = GrpcInferenceCodec.encode("m", "1", "", outputs, true);

    ByteBuffer wrapped = response.getRawOutputContents(0).asReadOnlyByteBuffer();
    assertArrayEquals(new float[] {5f, 6f}, Tensor.of(y.datatype(), y.shape(), wrapped).toFloatArray());
    // The response's bytes are the output's own (a direct buffer), not a heap copy of them.
    assertTrue(wrapped.isDirect());
  }
}
