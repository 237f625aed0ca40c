package dev.neutrino.gateway.grpc;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.neutrino.gateway.grpc.proto.CudaSharedMemoryRegisterRequest;
import dev.neutrino.gateway.grpc.proto.CudaSharedMemoryRegisterResponse;
import dev.neutrino.gateway.grpc.proto.CudaSharedMemoryStatusRequest;
import dev.neutrino.gateway.grpc.proto.CudaSharedMemoryStatusResponse;
import dev.neutrino.gateway.grpc.proto.CudaSharedMemoryUnregisterRequest;
import dev.neutrino.gateway.grpc.proto.CudaSharedMemoryUnregisterResponse;
import dev.neutrino.gateway.grpc.proto.LogSettingsRequest;
import dev.neutrino.gateway.grpc.proto.LogSettingsResponse;
import dev.neutrino.gateway.grpc.proto.ModelConfigRequest;
import dev.neutrino.gateway.grpc.proto.ModelConfigResponse;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelMetadataRequest;
import dev.neutrino.gateway.grpc.proto.ModelMetadataResponse;
import dev.neutrino.gateway.grpc.proto.ModelReadyRequest;
import dev.neutrino.gateway.grpc.proto.ModelReadyResponse;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsRequest;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsResponse;
import dev.neutrino.gateway.grpc.proto.ModelStreamInferResponse;
import dev.neutrino.gateway.grpc.proto.RepositoryIndexRequest;
import dev.neutrino.gateway.grpc.proto.RepositoryIndexResponse;
import dev.neutrino.gateway.grpc.proto.RepositoryModelLoadRequest;
import dev.neutrino.gateway.grpc.proto.RepositoryModelLoadResponse;
import dev.neutrino.gateway.grpc.proto.RepositoryModelUnloadRequest;
import dev.neutrino.gateway.grpc.proto.RepositoryModelUnloadResponse;
import dev.neutrino.gateway.grpc.proto.ServerLiveRequest;
import dev.neutrino.gateway.grpc.proto.ServerLiveResponse;
import dev.neutrino.gateway.grpc.proto.ServerMetadataRequest;
import dev.neutrino.gateway.grpc.proto.ServerMetadataResponse;
import dev.neutrino.gateway.grpc.proto.ServerReadyRequest;
import dev.neutrino.gateway.grpc.proto.ServerReadyResponse;
import dev.neutrino.gateway.grpc.proto.SystemSharedMemoryRegisterRequest;
import dev.neutrino.gateway.grpc.proto.SystemSharedMemoryRegisterResponse;
import dev.neutrino.gateway.grpc.proto.SystemSharedMemoryStatusRequest;
import dev.neutrino.gateway.grpc.proto.SystemSharedMemoryStatusResponse;
import dev.neutrino.gateway.grpc.proto.SystemSharedMemoryUnregisterRequest;
import dev.neutrino.gateway.grpc.proto.SystemSharedMemoryUnregisterResponse;
import dev.neutrino.gateway.grpc.proto.TraceSettingRequest;
import dev.neutrino.gateway.grpc.proto.TraceSettingResponse;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.util.List;

/**
 * The methods of {@code inference.GRPCInferenceService}, as Vert.x server method descriptors over the
 * generated protobuf messages. Names are the wire contract (the HTTP/2 path is
 * {@code /inference.GRPCInferenceService/<Method>}).
 */
final class ServiceMethods {
  static final ServiceName SERVICE = ServiceName.create("inference", "GRPCInferenceService");

  static final ServiceMethod<Received<ServerLiveRequest>, ServerLiveResponse> SERVER_LIVE =
      method("ServerLive", ServerLiveRequest.parser());
  static final ServiceMethod<Received<ServerReadyRequest>, ServerReadyResponse> SERVER_READY =
      method("ServerReady", ServerReadyRequest.parser());
  static final ServiceMethod<Received<ModelReadyRequest>, ModelReadyResponse> MODEL_READY =
      method("ModelReady", ModelReadyRequest.parser());
  static final ServiceMethod<Received<ServerMetadataRequest>, ServerMetadataResponse> SERVER_METADATA =
      method("ServerMetadata", ServerMetadataRequest.parser());
  static final ServiceMethod<Received<ModelMetadataRequest>, ModelMetadataResponse> MODEL_METADATA =
      method("ModelMetadata", ModelMetadataRequest.parser());
  static final ServiceMethod<Received<ModelInferRequest>, ModelInferResponse> MODEL_INFER =
      method("ModelInfer", ModelInferRequest.parser());
  static final ServiceMethod<Received<ModelInferRequest>, ModelStreamInferResponse> MODEL_STREAM_INFER =
      method("ModelStreamInfer", ModelInferRequest.parser());
  static final ServiceMethod<Received<ModelConfigRequest>, ModelConfigResponse> MODEL_CONFIG =
      method("ModelConfig", ModelConfigRequest.parser());

  static final ServiceMethod<Received<RepositoryIndexRequest>, RepositoryIndexResponse> REPOSITORY_INDEX =
      method("RepositoryIndex", RepositoryIndexRequest.parser());
  static final ServiceMethod<Received<RepositoryModelLoadRequest>, RepositoryModelLoadResponse> REPOSITORY_LOAD =
      method("RepositoryModelLoad", RepositoryModelLoadRequest.parser());
  static final ServiceMethod<Received<RepositoryModelUnloadRequest>, RepositoryModelUnloadResponse>
      REPOSITORY_UNLOAD = method("RepositoryModelUnload", RepositoryModelUnloadRequest.parser());

  static final ServiceMethod<Received<ModelStatisticsRequest>, ModelStatisticsResponse> MODEL_STATISTICS =
      method("ModelStatistics", ModelStatisticsRequest.parser());

  /** Triton extensions Neutrino does not offer: shared memory, tracing and log settings. */
  static final List<ServiceMethod<?, ?>> NOT_OFFERED = List.of(
      ServiceMethods.<SystemSharedMemoryStatusRequest, SystemSharedMemoryStatusResponse>method(
          "SystemSharedMemoryStatus", SystemSharedMemoryStatusRequest.parser()),
      ServiceMethods.<SystemSharedMemoryRegisterRequest, SystemSharedMemoryRegisterResponse>method(
          "SystemSharedMemoryRegister", SystemSharedMemoryRegisterRequest.parser()),
      ServiceMethods.<SystemSharedMemoryUnregisterRequest, SystemSharedMemoryUnregisterResponse>method(
          "SystemSharedMemoryUnregister", SystemSharedMemoryUnregisterRequest.parser()),
      ServiceMethods.<CudaSharedMemoryStatusRequest, CudaSharedMemoryStatusResponse>method(
          "CudaSharedMemoryStatus", CudaSharedMemoryStatusRequest.parser()),
      ServiceMethods.<CudaSharedMemoryRegisterRequest, CudaSharedMemoryRegisterResponse>method(
          "CudaSharedMemoryRegister", CudaSharedMemoryRegisterRequest.parser()),
      ServiceMethods.<CudaSharedMemoryUnregisterRequest, CudaSharedMemoryUnregisterResponse>method(
          "CudaSharedMemoryUnregister", CudaSharedMemoryUnregisterRequest.parser()),
      ServiceMethods.<TraceSettingRequest, TraceSettingResponse>method(
          "TraceSetting", TraceSettingRequest.parser()),
      ServiceMethods.<LogSettingsRequest, LogSettingsResponse>method(
          "LogSettings", LogSettingsRequest.parser()));

  private ServiceMethods() {}

  private static <Req extends MessageLite, Resp extends MessageLite> ServiceMethod<Received<Req>, Resp> method(
      String name, Parser<Req> parser) {
    return ServiceMethod.server(SERVICE, name, ProtobufCodec.<Resp>encoder(), ProtobufCodec.decoder(parser));
  }
}
