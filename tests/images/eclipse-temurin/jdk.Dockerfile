# Stand-in for eclipse-temurin:17-jdk (the official image is Ubuntu jammy;
# this one is the local Debian bookworm base): Debian's OpenJDK 17
# (openjdk-17-jdk-headless) at JAVA_HOME=/opt/java/openjdk, the official ENV
# (PATH, LANG, LANGUAGE, LC_ALL with the en_US.UTF-8 locale generated),
# /__cacert_entrypoint.sh as ENTRYPOINT and CMD ["jshell"].
ARG BASE
FROM ${BASE}
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH=$JAVA_HOME/bin:$PATH
ENV LANG=en_US.UTF-8 LANGUAGE=en_US:en LC_ALL=en_US.UTF-8
RUN set -eux; \
	apt-get update; \
	# openjdk's postinst registers man pages, which the slim base leaves out
	mkdir -p /usr/share/man/man1; \
	apt-get install -y --no-install-recommends tzdata curl wget ca-certificates fontconfig locales binutils \
		openjdk-17-jdk-headless; \
	rm -rf /var/lib/apt/lists/*; \
	echo 'en_US.UTF-8 UTF-8' >> /etc/locale.gen; \
	locale-gen en_US.UTF-8; \
	mkdir -p /opt/java; \
	ln -s "../../usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)" "$JAVA_HOME"; \
	java -version; javac -version
COPY entrypoint.sh /__cacert_entrypoint.sh
ENTRYPOINT ["/__cacert_entrypoint.sh"]
CMD ["jshell"]
