# Stand-in for the :nonroot tags of gcr.io/distroless/static-debian12 and
# cc-debian12: the same files as BASE (the root tag), run as nonroot.
# (USER and WORKDIR are literal on purpose: buildah 1.28's layer cache keys a
# USER/WORKDIR step by its unexpanded text, so `USER ${UID}` would reuse
# another build's value.)
ARG BASE
FROM ${BASE}
USER 65532
WORKDIR /home/nonroot
