// Pascal VOC importer ("voc"): one XML file per image (<annotation> with <filename>,
// <size><width/><height/></size> and <object><name/><difficult/><bndbox><xmin/>...).
//
// Which files: the *.xml files in `path`/Annotations when that folder exists, else in `path`,
// searched recursively and read in sorted path order. The frame id is <filename> (the file's
// stem when absent). Boxes are pixel corners, normalised by the image size as x / width
// (the convention of the common VOC -> YOLO converters, so that both forms give equal boxes).
//
// Each file is one record: a file that is not well-formed XML, or has no <annotation> root,
// is a per-record problem (kMalformedRecord, with line:col) and is skipped, so that one
// broken file does not lose a dataset of thousands; a folder where no file could be read is
// a fatal error (empty dataset). An image without a usable <size> is skipped (kNoImageSize).
// Thread-safety: see dataset_importer.h.
#pragma once

#include "daemon/dataset/dataset_importer.h"

namespace predwatch::daemon {

class VocImporter final : public DatasetImporter {
 public:
  std::string_view format() const override { return "voc"; }
  ImportResult import(const std::filesystem::path& path, const ImportOptions& options,
                      const EventCallback& on_event) const override;
};

}  // namespace predwatch::daemon
