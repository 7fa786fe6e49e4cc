// Image folders at ImageNet scale (issue 31): listed from directory entries only, the listing
// shared and kept for a resume, no image file opened before it is decoded.
#include "TestHarness.h"

#include "data/Dataset.h"
#include "data/ImageFolderListing.h"

#include <filesystem>
#include <fstream>
#include <sys/inotify.h>
#include <unistd.h>

using namespace swav;
namespace fs = std::filesystem;

namespace {

void writeFile(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string le(uint32_t value, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i)
        out += static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}

/// A solid 4 x 4 24-bit BMP of grey level `grey`.
void writeGreyBmp(const std::string& path, uint8_t grey) {
    const std::string pixels(4 * 4 * 3, static_cast<char>(grey));
    writeFile(path, "BM" + le(54 + uint32_t(pixels.size()), 4) + le(0, 4) + le(54, 4) + le(40, 4) +
                        le(4, 4) + le(4, 4) + le(1, 2) + le(24, 2) + le(0, 4) +
                        le(uint32_t(pixels.size()), 4) + le(2835, 4) + le(2835, 4) + le(0, 4) +
                        le(0, 4) + pixels);
}

/// class b, class a (one image one folder down), an empty class, hidden and foreign entries.
void writeTree(const std::string& root) {
    writeGreyBmp(root + "/b/2.bmp", 20);
    writeGreyBmp(root + "/b/10.PNG", 30); // not a PNG inside: found by name, fails when decoded
    writeGreyBmp(root + "/a/z.bmp", 40);
    writeGreyBmp(root + "/a/deeper/y.jpeg", 50);
    writeFile(root + "/a/notes.txt", "not an image");
    writeGreyBmp(root + "/a/.hidden.bmp", 60);
    writeGreyBmp(root + "/.cache/x.bmp", 70);
    fs::create_directories(root + "/empty");
    writeGreyBmp(root + "/loose.bmp", 80); // beside class folders: ignored
}

} // namespace

TEST(ImageFolderListing, ClassesAndFilesComeFromNamesAlone) {
    test::TempDir dir;
    writeTree(dir.path());
    const auto listing = listImageFolder(dir.path() + "/");
    ASSERT_EQ(listing.folder, dir.path());
    ASSERT_TRUE(listing.classNames == std::vector<std::string>({"a", "b"}));
    ASSERT_TRUE(listing.files ==
                std::vector<std::string>({"a/deeper/y.jpeg", "a/z.bmp", "b/10.PNG", "b/2.bmp"}));
    ASSERT_TRUE(listing.labels == std::vector<int32_t>({0, 0, 1, 1}));
    // The root, every class folder and the nested one (the empty class too) were read.
    ASSERT_EQ(listing.folderTimes.size(), size_t(5));

    test::TempDir flat;
    writeGreyBmp(flat.file("b.bmp"), 1);
    writeGreyBmp(flat.file("a.tif"), 1);
    const auto loose = listImageFolder(flat.path());
    ASSERT_TRUE(loose.classNames.empty());
    ASSERT_TRUE(loose.files == std::vector<std::string>({"a.tif", "b.bmp"}));
    ASSERT_TRUE(loose.labels == std::vector<int32_t>({-1, -1}));

    test::TempDir empty;
    ASSERT_THROWS_WITH(listImageFolder(empty.path()), "no image files found");
    ASSERT_THROWS_WITH(listImageFolder(empty.file("missing")), "cannot read the folder");
}

TEST(ImageFolderListing, AListingIsCurrentUntilAFolderOfItsTreeChanges) {
    test::TempDir dir;
    writeTree(dir.path());
    const auto listing = listImageFolder(dir.path());
    ASSERT_TRUE(listingIsCurrent(listing));
    writeGreyBmp(dir.file("a/deeper/new.bmp"), 1); // two levels down
    ASSERT_FALSE(listingIsCurrent(listing));
    const auto fresh = listImageFolder(dir.path());
    ASSERT_TRUE(listingIsCurrent(fresh));
    fs::rename(dir.file("b/2.bmp"), dir.file("b/3.bmp"));
    ASSERT_FALSE(listingIsCurrent(fresh));
}

TEST(ImageFolderListing, EncodedListingsRoundTripAndDamageIsRefused) {
    test::TempDir dir;
    writeTree(dir.path());
    const auto listing = listImageFolder(dir.path());
    const std::string bytes = encodeListing(listing);
    const auto back = decodeListing(bytes, "kept");
    ASSERT_EQ(back.folder, listing.folder);
    ASSERT_TRUE(back.classNames == listing.classNames);
    ASSERT_TRUE(back.files == listing.files);
    ASSERT_TRUE(back.labels == listing.labels);
    ASSERT_TRUE(back.folderTimes == listing.folderTimes);

    ASSERT_THROWS_WITH(decodeListing("something else", "kept"), "kept: not an image-folder");
    ASSERT_THROWS_WITH(decodeListing(bytes.substr(0, bytes.size() - 4), "kept"), "damaged");
    std::string claims = bytes;
    claims[28 + 5] = '\x7f'; // a plain size far beyond what the compressed bytes can hold
    ASSERT_THROWS_WITH(decodeListing(claims, "kept"), "claiming");
    auto escaping = listing;
    escaping.files[1] = "a/../../etc/passwd";
    ASSERT_THROWS_WITH(decodeListing(encodeListing(escaping), "kept"), "not a path inside");
    auto absolute = listing;
    absolute.files[0] = "/etc/passwd";
    ASSERT_THROWS_WITH(decodeListing(encodeListing(absolute), "kept"), "not a path inside");
    auto label = listing;
    label.labels[2] = 7;
    ASSERT_THROWS_WITH(decodeListing(encodeListing(label), "kept"), "'7' is not a number from 0");
}

#ifdef SWAV_TEST_HAVE_OPENCV
// Opening a folder reads directory entries only; each decoded image opens its own file (and a
// failed one the stand-in's). Counted with inotify, which sees every open of a watched folder's
// files.
TEST(ImageFolderListing, OpeningReadsNoImageAndDecodingOpensOnlyItsFiles) {
    test::TempDir dir;
    for (int c = 0; c < 3; ++c)
        for (int i = 0; i < 40; ++i)
            writeGreyBmp(
                dir.file("class" + std::to_string(c) + "/" + std::to_string(100 + i) + ".bmp"),
                uint8_t(c * 40 + i));
    const int watch = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ASSERT_TRUE(watch >= 0);
    for (int c = 0; c < 3; ++c)
        ASSERT_TRUE(::inotify_add_watch(watch, dir.file("class" + std::to_string(c)).c_str(),
                                        IN_OPEN) >= 0);
    auto fileOpens = [&] {
        std::vector<std::string> names;
        alignas(inotify_event) char buffer[65536];
        ssize_t got;
        while ((got = ::read(watch, buffer, sizeof buffer)) > 0)
            for (char* at = buffer; at < buffer + got;) {
                const auto* event = reinterpret_cast<const inotify_event*>(at);
                if (event->len > 0 && !(event->mask & IN_ISDIR))
                    names.push_back(event->name);
                at += sizeof(inotify_event) + event->len;
            }
        return names;
    };

    auto data = openImageFolder(dir.path(), 4, 8, 1);
    ASSERT_EQ(data->size(), int64_t(120));
    ASSERT_TRUE(fileOpens().empty());
    const ImageBatch batch = data->gather({0, 45, 119});
    ASSERT_EQ(batch.images[1].max().item<int>(), 45);
    ASSERT_TRUE(fileOpens() == std::vector<std::string>({"100.bmp", "105.bmp", "139.bmp"}));
    ::close(watch);
}

// A run keeps its folder's listing: reused while no folder changed, made again when one did,
// never written over a file that is not a listing.
TEST(ImageFolderListing, ARunsKeptListingIsReusedWhileTheFolderIsUnchanged) {
    test::TempDir images, run;
    writeTree(images.path());
    DatasetConfig config;
    config.kind = "image-folder";
    config.path = images.path();
    config.imageSize = 4;
    std::vector<std::string> said;
    DatasetOpening opening;
    opening.listingFile = run.file("image-folder-listing");
    opening.report = [&](const std::string& text) { said.push_back(text); };

    auto first = openDataset(config, opening);
    ASSERT_TRUE(first.hasValue());
    ASSERT_EQ(first->listingFileWritten, opening.listingFile);
    ASSERT_EQ(first->train->size(), int64_t(4));

    auto second = openDataset(config, opening);
    ASSERT_TRUE(second.hasValue());
    ASSERT_TRUE(second->listingFileWritten.empty());
    ASSERT_CONTAINS(said.back(), "as the run listed them");

    writeGreyBmp(images.file("b/3.bmp"), 1);
    auto third = openDataset(config, opening);
    ASSERT_EQ(third->train->size(), int64_t(5));
    ASSERT_EQ(third->listingFileWritten, opening.listingFile);
    ASSERT_CONTAINS(said.back(), "changed since the run listed it");

    // Given rank 0's listing, a rank neither lists nor reads the kept file.
    DatasetOpening given;
    given.listing = third->listing;
    auto shared = openDataset(config, given);
    ASSERT_EQ(shared->train->size(), int64_t(5));
    ASSERT_TRUE(shared->listing == third->listing);
    config.path = run.path();
    ASSERT_CONTAINS(openDataset(config, given).error().message, "the listing given is of");

    // A user's file at the listing's name is read as a listing, fails, and stays as it was.
    config.path = images.path();
    writeFile(opening.listingFile, "the user's notes");
    auto fourth = openDataset(config, opening);
    ASSERT_TRUE(fourth.hasValue());
    ASSERT_TRUE(fourth->listingFileWritten.empty());
    std::ifstream kept(opening.listingFile);
    std::string text((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
    ASSERT_EQ(text, std::string("the user's notes"));
}
#endif
