# Neutrino's image: the gateway (and the autoscaler's jar) on a Java 17 runtime, with the example model
# repository, running as a non-root user; works with a read-only root filesystem and a writable /tmp.
#
#   docker build -t neutrino .
#   docker run --rm -p 8000:8000 -p 8001:8001 -p 8002:8002 --read-only --tmpfs /tmp neutrino
#
# The base images are build arguments so that deploy/build-image.sh can build this file on locally made
# Debian bases (BUILD_IMAGE needs a JDK 17 and Maven, RUNTIME_IMAGE a Java 17 runtime, `java` on the PATH).
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${BUILD_IMAGE} AS build
# Extra Maven flags, e.g. -o where the local repository is mounted in (deploy/build-image.sh).
ARG MAVEN_FLAGS=""
WORKDIR /src
COPY . .
# The gateway's shaded jar, the autoscaler's, and the example repository (written by model-repo's build).
RUN mvn -B -q ${MAVEN_FLAGS} package -DskipTests -pl gateway,autoscaler -am \
 && test -f gateway/target/neutrino-gateway.jar \
 && test -f autoscaler/target/neutrino-autoscaler.jar \
 && test -d model-repo/target/example-repository/simple

FROM ${RUNTIME_IMAGE}
RUN groupadd --system --gid 10001 neutrino \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin neutrino
COPY --from=build /src/gateway/target/neutrino-gateway.jar /opt/neutrino/neutrino-gateway.jar
COPY --from=build /src/autoscaler/target/neutrino-autoscaler.jar /opt/neutrino/neutrino-autoscaler.jar
COPY --from=build /src/model-repo/target/example-repository /opt/neutrino/models
USER 10001:10001
# HTTP, gRPC, metrics: the gateway's defaults (Triton's).
EXPOSE 8000 8001 8002
# The heap follows the container's memory limit; ONNX Runtime and DJL's tokenizers unpack their native
# libraries into /tmp.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-Djava.io.tmpdir=/tmp", "-DDJL_CACHE_DIR=/tmp/djl", "-jar", "/opt/neutrino/neutrino-gateway.jar"]
CMD ["--host=0.0.0.0", "--model-repository=/opt/neutrino/models"]
