# Stand-in for eclipse-temurin:17-jre: Debian's openjdk-17-jre-headless,
# otherwise as jdk.Dockerfile (no CMD: the official JRE image has none).
ARG BASE
FROM ${BASE}
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH=$JAVA_HOME/bin:$PATH
ENV LANG=en_US.UTF-8 LANGUAGE=en_US:en LC_ALL=en_US.UTF-8
RUN set -eux; \
	apt-get update; \
	# openjdk's postinst registers man pages, which the slim base leaves out
	mkdir -p /usr/share/man/man1; \
	apt-get install -y --no-install-recommends tzdata curl wget ca-certificates fontconfig locales \
		openjdk-17-jre-headless; \
	rm -rf /var/lib/apt/lists/*; \
	echo 'en_US.UTF-8 UTF-8' >> /etc/locale.gen; \
	locale-gen en_US.UTF-8; \
	mkdir -p /opt/java; \
	ln -s "../../usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)" "$JAVA_HOME"; \
	java -version
COPY entrypoint.sh /__cacert_entrypoint.sh
ENTRYPOINT ["/__cacert_entrypoint.sh"]
