// YOLO importer ("yolo"): one text file per image, one object per line:
//   <class index> <cx> <cy> <w> <h> [<confidence>]     (all box values normalised to [0, 1])
// A confidence outside [0, 1] (or nan) makes the line a kMalformedRecord problem (skipped).
//
// Which files: `path` is a folder. If it has sub-folders, every *.txt below it (recursively)
// is a label file, except the *.txt files directly in `path` (there live classes.txt,
// train.txt and other lists); if it has no sub-folders, its own *.txt files are the labels
// (minus classes.txt). Files are read in sorted path order; an empty file is an image
// without objects. The frame id is the file's path relative to `path` without ".txt".
//
// Class names: ImportOptions::names_file, or else the first of data.yaml, config.yaml,
// dataset.yaml (their `names`: a list, or a map index -> name), classes.txt, obj.names
// found in `path` or up to three parent folders. Without a names file, detections carry only
// class_index (class_name empty). With one, an index outside it is an unknown category.
// Image sizes are not known: Events have width = height = 0.
// Thread-safety: see dataset_importer.h.
#pragma once

#include "daemon/dataset/dataset_importer.h"

namespace predwatch::daemon {

class YoloImporter final : public DatasetImporter {
 public:
  std::string_view format() const override { return "yolo"; }
  ImportResult import(const std::filesystem::path& path, const ImportOptions& options,
                      const EventCallback& on_event) const override;
};

// Reads class names from a YOLO names file (YAML with `names`, or one name per line).
// Returns false with `error` naming the file (and line:col for YAML) on failure.
bool load_yolo_names(const std::filesystem::path& file, std::vector<std::string>& names,
                     std::string& error);

}  // namespace predwatch::daemon
