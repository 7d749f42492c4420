"""No form on the site takes a file: file parts are dropped unread, never spooled to disk."""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class NoFileUploads(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        # Stop reading the body here: nothing after a file part is wanted.
        raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        return None

    def file_complete(self, file_size: int) -> None:
        return None
