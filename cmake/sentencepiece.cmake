# SentencePiece (optional): codelength::sentencepiece, an INTERFACE target for code that
# includes codelength/adapters/sentencepiece.hpp (the SentencePiece tokenizer adapter). It
# links codelength and libsentencepiece (+ libsentencepiece_train, which the tests use to train
# a model), found through pkg-config (Debian's libsentencepiece-dev ships sentencepiece.pc) or,
# without pkg-config, by find_path/find_library.
#   CODELENGTH_WITH_SENTENCEPIECE  ON (default): use SentencePiece if found, and say so either
#                                  way; OFF: never look for it.
# Sets codelength_sentencepiece_found (TRUE/FALSE) for the tests and the tool. The target is for
# the build tree only (not installed): a consumer links sentencepiece and includes the header.
option(CODELENGTH_WITH_SENTENCEPIECE "Build the SentencePiece tokenizer adapter's tests and tools when libsentencepiece is found" ON)
set(codelength_sentencepiece_found FALSE)
if(CODELENGTH_WITH_SENTENCEPIECE)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(codelength_spm QUIET IMPORTED_TARGET sentencepiece)
  endif()
  if(codelength_spm_FOUND)
    set(codelength_sentencepiece_found TRUE)
    set(codelength_sentencepiece_version "${codelength_spm_VERSION}")
    set(codelength_sentencepiece_link PkgConfig::codelength_spm)
  else()
    find_path(codelength_spm_include_dir sentencepiece_processor.h)
    find_library(codelength_spm_library sentencepiece)
    find_library(codelength_spm_train_library sentencepiece_train)
    if(codelength_spm_include_dir AND codelength_spm_library AND codelength_spm_train_library)
      set(codelength_sentencepiece_found TRUE)
      set(codelength_sentencepiece_version "(version unknown: no pkg-config)")
      add_library(codelength_spm_imported INTERFACE IMPORTED)
      target_include_directories(codelength_spm_imported SYSTEM INTERFACE "${codelength_spm_include_dir}")
      target_link_libraries(codelength_spm_imported INTERFACE
        "${codelength_spm_library}" "${codelength_spm_train_library}")
      set(codelength_sentencepiece_link codelength_spm_imported)
    endif()
  endif()
  if(codelength_sentencepiece_found)
    add_library(codelength_sentencepiece INTERFACE)
    add_library(codelength::sentencepiece ALIAS codelength_sentencepiece)
    target_link_libraries(codelength_sentencepiece INTERFACE codelength ${codelength_sentencepiece_link})
    message(STATUS "codelength: SentencePiece ${codelength_sentencepiece_version} found: building the SentencePiece adapter's tests")
  else()
    message(NOTICE "codelength: SentencePiece not found (install libsentencepiece-dev): "
      "codelength::sentencepiece and the SentencePiece adapter's tests are not built")
  endif()
else()
  message(STATUS "codelength: CODELENGTH_WITH_SENTENCEPIECE is OFF: the SentencePiece adapter is not built")
endif()
