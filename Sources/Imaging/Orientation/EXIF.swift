import CEXIF

/// Reads the orientation tag from an EXIF block, with libexif.
///
/// Containers carry the block differently: JPEG in an APP1 segment after the `Exif\0\0` identifier
/// (EXIF 2.32, 4.5.4), PNG in an eXIf chunk and WebP in an `EXIF` chunk as a bare TIFF structure
/// (`II*\0` or `MM\0*`). Each codec finds its block; this reads it.
enum EXIF {
    /// The `Exif\0\0` identifier that precedes the TIFF structure in a JPEG APP1 segment.
    static let identifier: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]

    /// The orientation (TIFF tag 0x0112 in IFD0) in `block`, which is either `Exif\0\0` plus a TIFF
    /// structure or a bare TIFF structure. Nil when absent, malformed or outside 1...8.
    static func orientation(in block: ArraySlice<UInt8>) -> Orientation? {
        // libexif reads blocks that start with the identifier (or a JPEG stream): give it one.
        let data = block.starts(with: identifier) ? Array(block) : identifier + block
        guard data.count > identifier.count, data.count <= Int(UInt32.max) else { return nil }
        guard let exif = exif_data_new() else { return nil }
        defer { exif_data_unref(exif) }
        // Loading must not "repair" the block by adding default tags.
        exif_data_unset_option(exif, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION)
        data.withUnsafeBufferPointer { bytes in
            exif_data_load_data(exif, bytes.baseAddress, UInt32(bytes.count))
        }
        // Only IFD0 describes the main image; IFD1 is the thumbnail's.
        guard let ifd0 = exif.pointee.ifd.0,
              let entry = exif_content_get_entry(ifd0, EXIF_TAG_ORIENTATION),
              entry.pointee.format == EXIF_FORMAT_SHORT, entry.pointee.components >= 1,
              entry.pointee.size >= 2, let value = entry.pointee.data
        else { return nil }
        return Orientation(rawValue: Int(exif_get_short(value, exif_data_get_byte_order(exif))))
    }
}
