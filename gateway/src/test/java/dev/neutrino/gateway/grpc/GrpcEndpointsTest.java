package dev.neutrino.gateway.grpc;

import static dev.neutrino.gateway.grpc.GrpcTestClient.assertStatus;
import static dev.neutrino.gateway.grpc.GrpcTestClient.int32Input;
import static dev.neutrino.gateway.grpc.GrpcTestClient.simpleRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.CudaSharedMemoryRegisterRequest;
import dev.neutrino.gateway.grpc.proto.CudaSharedMemoryStatusRequest;
import dev.neutrino.gateway.grpc.proto.CudaSharedMemoryUnregisterRequest;
import dev.neutrino.gateway.grpc.proto.DataType;
import dev.neutrino.gateway.grpc.proto.InferParameter;
import dev.neutrino.gateway.grpc.proto.LogSettingsRequest;
import dev.neutrino.gateway.grpc.proto.ModelConfig;
import dev.neutrino.gateway.grpc.proto.ModelConfigRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelInstanceGroup;
import dev.neutrino.gateway.grpc.proto.ModelMetadataRequest;
import dev.neutrino.gateway.grpc.proto.ModelMetadataResponse;
import dev.neutrino.gateway.grpc.proto.ModelReadyRequest;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsRequest;
import dev.neutrino.gateway.grpc.proto.RepositoryIndexRequest;
import dev.neutrino.gateway.grpc.proto.RepositoryModelLoadRequest;
import dev.neutrino.gateway.grpc.proto.RepositoryModelUnloadRequest;
import dev.neutrino.gateway.grpc.proto.ServerLiveRequest;
import dev.neutrino.gateway.grpc.proto.ServerLiveResponse;
import dev.neutrino.gateway.grpc.proto.ServerMetadataRequest;
import dev.neutrino.gateway.grpc.proto.ServerMetadataResponse;
import dev.neutrino.gateway.grpc.proto.ServerReadyRequest;
import dev.neutrino.gateway.grpc.proto.SystemSharedMemoryRegisterRequest;
import dev.neutrino.gateway.grpc.proto.SystemSharedMemoryStatusRequest;
import dev.neutrino.gateway.grpc.proto.SystemSharedMemoryUnregisterRequest;
import dev.neutrino.gateway.grpc.proto.TraceSettingRequest;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Every RPC of the service against the example repository, through an independent grpc-java client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcEndpointsTest {
  Gateway gateway;
  GrpcTestClient client;

  @BeforeAll
  void start(@TempDir Path dir) {
    gateway = TestGateways.start(TestGateways.exampleRepository(dir.resolve("repo")));
    client = new GrpcTestClient(gateway);
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.close();
    }
    TestGateways.stop(gateway);
  }

  @Test
  void bindsItsOwnPortBesideHttp() {
    assertTrue(gateway.grpcPort() > 0);
    assertTrue(gateway.grpcPort() != gateway.httpPort());
  }

  @Test
  void serverIsLiveAndReady() {
    ServerLiveResponse live = client.blocking.serverLive(ServerLiveRequest.getDefaultInstance());
    assertTrue(live.getLive());
    assertTrue(client.blocking.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
  }

  @Test
  void serverMetadataNamesTheServerAndItsExtensions() {
    ServerMetadataResponse metadata = client.blocking.serverMetadata(ServerMetadataRequest.getDefaultInstance());
    assertEquals("neutrino", metadata.getName());
    assertEquals(Gateway.VERSION, metadata.getVersion());
    assertEquals(Gateway.EXTENSIONS, metadata.getExtensionsList());
  }

  @Test
  void modelReadyIsTrueForALoadedModelAndFalseOtherwise() {
    assertTrue(client.blocking.modelReady(ModelReadyRequest.newBuilder().setName("simple").build()).getReady());
    assertTrue(client.blocking.modelReady(
        ModelReadyRequest.newBuilder().setName("simple").setVersion("1").build()).getReady());
    assertFalse(client.blocking.modelReady(
        ModelReadyRequest.newBuilder().setName("simple").setVersion("7").build()).getReady());
    assertFalse(client.blocking.modelReady(ModelReadyRequest.newBuilder().setName("nope").build()).getReady());
  }

  @Test
  void modelMetadataDescribesInputsAndOutputsWithTheBatchDimension() {
    ModelMetadataResponse metadata = client.blocking.modelMetadata(
        ModelMetadataRequest.newBuilder().setName("simple").build());
    assertEquals("simple", metadata.getName());
    assertEquals(List.of("1"), metadata.getVersionsList());
    assertEquals("onnxruntime_onnx", metadata.getPlatform());
    assertEquals(2, metadata.getInputsCount());
    assertEquals("INPUT0", metadata.getInputs(0).getName());
    assertEquals("INT32", metadata.getInputs(0).getDatatype());
    assertEquals(List.of(-1L, 16L), metadata.getInputs(0).getShapeList());
    assertEquals(List.of("OUTPUT0", "OUTPUT1"),
        metadata.getOutputsList().stream().map(ModelMetadataResponse.TensorMetadata::getName).toList());
  }

  @Test
  void metadataAndConfigOfAnUnknownModelAreNotFound() {
    String message = assertStatus(Status.Code.NOT_FOUND, () -> client.blocking.modelMetadata(
        ModelMetadataRequest.newBuilder().setName("nope").build()));
    assertTrue(message.contains("nope"), message);
    assertStatus(Status.Code.NOT_FOUND, () -> client.blocking.modelMetadata(
        ModelMetadataRequest.newBuilder().setName("simple").setVersion("9").build()));
    assertStatus(Status.Code.NOT_FOUND, () -> client.blocking.modelConfig(
        ModelConfigRequest.newBuilder().setName("nope").build()));
  }

  @Test
  void modelConfigIsTritonsModelConfigMessage() {
    ModelConfig config = client.blocking.modelConfig(ModelConfigRequest.newBuilder().setName("simple").build())
        .getConfig();
    assertEquals("simple", config.getName());
    assertEquals("onnxruntime_onnx", config.getPlatform());
    assertEquals("onnxruntime", config.getBackend());
    assertEquals(8, config.getMaxBatchSize());
    assertEquals(2, config.getInputCount());
    assertEquals("INPUT0", config.getInput(0).getName());
    assertEquals(DataType.TYPE_INT32, config.getInput(0).getDataType());
    assertEquals(List.of(16L), config.getInput(0).getDimsList());
    assertEquals(DataType.TYPE_INT32, config.getOutput(1).getDataType());
    assertEquals(1, config.getInstanceGroupCount());
    assertEquals(ModelInstanceGroup.Kind.KIND_CPU, config.getInstanceGroup(0).getKind());
    assertEquals(1, config.getInstanceGroup(0).getCount());
    assertEquals(1, config.getVersionPolicy().getLatest().getNumVersions());
    assertTrue(config.hasDynamicBatching(), "auto-complete: max_batch_size 8 and no scheduler get the batcher");
    assertEquals(0, config.getDynamicBatching().getMaxQueueDelayMicroseconds());
    assertFalse(config.getResponseCache().getEnable());
  }

  @Test
  void modelConfigCarriesDynamicBatching() {
    ModelConfig config = client.blocking.modelConfig(
        ModelConfigRequest.newBuilder().setName("recommender_mlp").build()).getConfig();
    assertEquals(64, config.getMaxBatchSize());
    assertTrue(config.hasDynamicBatching());
    assertEquals(List.of(16, 32, 64), config.getDynamicBatching().getPreferredBatchSizeList());
    assertEquals(0, config.getDynamicBatching().getMaxQueueDelayMicroseconds(), "as the example config sets it");
  }

  @Test
  void simpleAnswersExactlyWithTypedContents() {
    ModelInferResponse response = client.blocking.modelInfer(simpleRequest(0).setId("typed-1").build());
    assertEquals("simple", response.getModelName());
    assertEquals("1", response.getModelVersion());
    assertEquals("typed-1", response.getId());
    assertEquals(0, response.getRawOutputContentsCount());
    assertEquals(2, response.getOutputsCount());
    ModelInferResponse.InferOutputTensor sum = response.getOutputs(0);
    assertEquals("OUTPUT0", sum.getName());
    assertEquals("INT32", sum.getDatatype());
    assertEquals(List.of(1L, 16L), sum.getShapeList());
    assertEquals(IntStream.rangeClosed(1, 16).boxed().toList(), sum.getContents().getIntContentsList());
    ModelInferResponse.InferOutputTensor difference = response.getOutputs(1);
    assertEquals("OUTPUT1", difference.getName());
    assertEquals(IntStream.rangeClosed(-1, 14).boxed().toList(), difference.getContents().getIntContentsList());
  }

  @Test
  void simpleAnswersExactlyWithRawContents() {
    ModelInferRequest request = ModelInferRequest.newBuilder()
        .setModelName("simple")
        .setModelVersion("1")
        .setId("raw-1")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("INT32")
            .addShape(1).addShape(16))
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT1").setDatatype("INT32")
            .addShape(1).addShape(16))
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("OUTPUT1"))
        .addRawInputContents(ints(IntStream.range(0, 16).toArray()))
        .addRawInputContents(ints(IntStream.generate(() -> 1).limit(16).toArray()))
        .build();
    ModelInferResponse response = client.blocking.modelInfer(request);
    assertEquals("raw-1", response.getId());
    assertEquals(1, response.getOutputsCount(), "only the requested output");
    assertEquals("OUTPUT1", response.getOutputs(0).getName());
    assertFalse(response.getOutputs(0).hasContents());
    assertEquals(1, response.getRawOutputContentsCount());
    assertEquals(ints(IntStream.rangeClosed(-1, 14).toArray()), response.getRawOutputContents(0));
  }

  @Test
  void requestParametersAreAccepted() {
    ModelInferResponse response = client.blocking.modelInfer(simpleRequest(0)
        .putParameters("priority", GrpcTestClient.int64(0))
        .putParameters("timeout", GrpcTestClient.int64(5_000_000))
        .putParameters("custom", InferParameter.newBuilder()
            .setStringParam("carried").build())
        .build());
    assertEquals(2, response.getOutputsCount());
  }

  @Test
  void inferenceOnAnUnknownModelIsNotFound() {
    String message = assertStatus(Status.Code.NOT_FOUND,
        () -> client.blocking.modelInfer(simpleRequest(0).setModelName("nope").build()));
    assertTrue(message.contains("nope"), message);
    assertStatus(Status.Code.NOT_FOUND,
        () -> client.blocking.modelInfer(simpleRequest(0).setModelVersion("3").build()));
  }

  @Test
  void aRequestWithAWrongShapeForTheModelIsInvalidArgument() {
    ModelInferRequest request = ModelInferRequest.newBuilder()
        .setModelName("simple")
        .addInputs(int32Input("INPUT0", 1, 2, 3))
        .addInputs(int32Input("INPUT1", 1, 2, 3))
        .build();
    String message = assertStatus(Status.Code.INVALID_ARGUMENT, () -> client.blocking.modelInfer(request));
    assertTrue(message.contains("INPUT0"), message);
  }

  @Test
  void statisticsAnswerForEveryLoadedVersion() {
    var stats = client.blocking.modelStatistics(ModelStatisticsRequest.getDefaultInstance());
    assertTrue(stats.getModelStatsList().stream().anyMatch(m -> m.getName().equals("simple")
        && m.getVersion().equals("1")), stats.toString());
    assertStatus(Status.Code.NOT_FOUND,
        () -> client.blocking.modelStatistics(ModelStatisticsRequest.newBuilder().setName("no_such_model").build()));
  }

  @Test
  void repositoryIndexListsModelsAndLoadIsRefusedOutsideExplicitMode() {
    var index = client.blocking.repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build());
    assertTrue(index.getModelsList().stream().anyMatch(m -> m.getName().equals("simple")
        && m.getVersion().equals("1") && m.getState().equals("READY")), index.toString());
    String refused = assertStatus(Status.Code.INVALID_ARGUMENT, () -> client.blocking.repositoryModelLoad(
        RepositoryModelLoadRequest.newBuilder().setModelName("simple").build()));
    assertTrue(refused.contains("not allowed"), refused);
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> client.blocking.repositoryModelUnload(
        RepositoryModelUnloadRequest.newBuilder().setModelName("simple").build()));
    assertTrue(client.blocking.modelReady(ModelReadyRequest.newBuilder().setName("simple").build()).getReady(),
        "the unload was refused, not done");
  }

  @Test
  void sharedMemoryTraceAndLogRpcsAreUnimplemented() {
    assertStatus(Status.Code.UNIMPLEMENTED, () -> client.blocking.systemSharedMemoryStatus(
        SystemSharedMemoryStatusRequest.getDefaultInstance()));
    assertStatus(Status.Code.UNIMPLEMENTED, () -> client.blocking.systemSharedMemoryRegister(
        SystemSharedMemoryRegisterRequest.newBuilder().setName("r").setKey("/k").setByteSize(64).build()));
    assertStatus(Status.Code.UNIMPLEMENTED, () -> client.blocking.systemSharedMemoryUnregister(
        SystemSharedMemoryUnregisterRequest.getDefaultInstance()));
    assertStatus(Status.Code.UNIMPLEMENTED, () -> client.blocking.cudaSharedMemoryStatus(
        CudaSharedMemoryStatusRequest.getDefaultInstance()));
    assertStatus(Status.Code.UNIMPLEMENTED, () -> client.blocking.cudaSharedMemoryRegister(
        CudaSharedMemoryRegisterRequest.newBuilder().setName("r").setRawHandle(ByteString.copyFromUtf8("h")).build()));
    assertStatus(Status.Code.UNIMPLEMENTED, () -> client.blocking.cudaSharedMemoryUnregister(
        CudaSharedMemoryUnregisterRequest.getDefaultInstance()));
    assertStatus(Status.Code.UNIMPLEMENTED, () -> client.blocking.traceSetting(
        TraceSettingRequest.getDefaultInstance()));
    assertStatus(Status.Code.UNIMPLEMENTED, () -> client.blocking.logSettings(
        LogSettingsRequest.getDefaultInstance()));
  }

  @Test
  void aMethodTheServiceDoesNotDeclareIsUnimplemented() {
    MethodDescriptor<ServerLiveRequest, ServerLiveResponse> unknown =
        MethodDescriptor.<ServerLiveRequest, ServerLiveResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("inference.GRPCInferenceService/NoSuchMethod")
            .setRequestMarshaller(ProtoUtils.marshaller(ServerLiveRequest.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(ServerLiveResponse.getDefaultInstance()))
            .build();
    assertStatus(Status.Code.UNIMPLEMENTED, () -> ClientCalls.blockingUnaryCall(
        client.channel, unknown, CallOptions.DEFAULT, ServerLiveRequest.getDefaultInstance()));
  }

  @Test
  void healthAnswersAfterErrorsOnTheSameChannel() {
    assertStatus(Status.Code.NOT_FOUND,
        () -> client.blocking.modelInfer(simpleRequest(0).setModelName("nope").build()));
    assertTrue(client.blocking.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
  }

  static ByteString ints(int... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return ByteString.copyFrom(b.array());
  }
}
