// Makes the record a document is mirrored as: derived fields (the painting's imageUrl from the
// media base), then each blob of the row fetched from the media store and uploaded to the repo.
// A blob that cannot be had is left out (every lexicon here makes it optional or the record is
// still the best the store can give), and why is counted in
// acid_sync_blob_missing_total{collection,blob,reason} and returned with the record.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "provision/metrics.h"
#include "store/store.h"
#include "sync/blob.h"
#include "sync/mapping.h"

namespace acid::sync {

struct MadeRecord {
  std::string json;
  struct Miss {
    std::string blob, reason, message;
  };
  std::vector<Miss> missing;
  std::vector<std::string> blobs;  // CIDs uploaded
};

class RecordMaker {
 public:
  // Uploads bytes of a type to the repo the record goes to (with that repo's session).
  using Upload =
      std::function<Result<UploadedBlob>(std::string_view bytes, std::string_view mime_type)>;

  RecordMaker(std::string media_base, provision::Metrics &metrics);
  ~RecordMaker();

  const std::string &media_base() const { return media_base_; }

  // Code::invalid when the document breaks the lexicon's bounds; an upload refused by the PDS is
  // the PDS's error (the document is written on a later pass).
  Result<MadeRecord> make(const CollectionMapping &mapping, const store::ContentDoc &doc,
                          const Upload &upload);

 private:
  Result<MediaFetcher *> fetcher();

  std::string media_base_;
  provision::Metrics &metrics_;
  std::mutex mu_;
  std::unique_ptr<MediaFetcher> fetcher_;  // made on first use: moods never need one
};

}  // namespace acid::sync
